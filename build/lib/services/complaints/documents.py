"""Supporting documents of complaints, kept outside the event store and addressed by their content.

A file lives at <root>/<sha256[:2]>/<sha256>; the event keeps only its hash, size, media type and original name,
so the same file attached twice is stored once and a stored file can always be checked against its event. Only
the types a complaint needs are accepted (PDF, JPEG, PNG, plain text, Word .docx), recognised by their content,
never by the name or the type the sender claims.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shared.http import ContentTooLarge
from shared.problems import DomainError, InvalidInput, NotFound

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES = {PDF: "PDF", JPEG: "JPEG image", PNG: "PNG image", TEXT: "plain text", DOCX: "Word document (.docx)"}
ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "application/x-pdf": PDF}
UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DocumentTooLarge(ContentTooLarge):
    pass


class UnsupportedDocument(DomainError):
    status = 415
    title = "Unsupported media type"


class DocumentNotFound(NotFound):
    pass


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size: int
    media_type: str
    filename: str | None


def sniff(content: bytes) -> str | None:
    """The media type the content really has, among those accepted; None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                # The names only: nothing is extracted, so a zip bomb costs nothing here.
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            return None
        return None
    if b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT
    return None


def clean_filename(name: str | None) -> str | None:
    """The file's own name, without any folder and control characters, at most 200 characters."""
    if not name:
        return None
    base = re.split(r"[\\/]", name)[-1]
    base = _CONTROL.sub("", base).strip()
    return base[:200] or None


def accepted_type(declared: str | None, content: bytes) -> str:
    """The document's media type, checked against its content; refuses types a complaint does not take."""
    claimed = (declared or "").split(";")[0].strip().lower()
    claimed = ALIASES.get(claimed, claimed)
    allowed = ", ".join(MEDIA_TYPES)
    if claimed not in UNDECLARED and claimed not in MEDIA_TYPES:
        raise UnsupportedDocument(f"documents of type {claimed!r} are not accepted; accepted: {allowed}")
    actual = sniff(content)
    if actual is None:
        raise UnsupportedDocument(f"the file is not one of the accepted types ({allowed})")
    if claimed not in UNDECLARED and actual != claimed:
        raise UnsupportedDocument(
            f"the file is sent as {MEDIA_TYPES[claimed]} but its content is {MEDIA_TYPES[actual]}"
        )
    return actual


class DocumentStore:
    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.root = Path(root)
        self.max_bytes = max_bytes

    def check(
        self, content: bytes, media_type: str | None, filename: str | None, *, max_bytes: int | None = None
    ) -> StoredDocument:
        """Validate without storing: size, type; returns what the event will keep."""
        limit = max_bytes or self.max_bytes
        if not content:
            raise InvalidInput("the document is empty")
        if len(content) > limit:
            raise DocumentTooLarge(f"a document may be at most {_size(limit)}; this one is {_size(len(content))}")
        kind = accepted_type(media_type, content)
        return StoredDocument(hashlib.sha256(content).hexdigest(), len(content), kind, clean_filename(filename))

    def put(
        self, content: bytes, media_type: str | None, filename: str | None, *, max_bytes: int | None = None
    ) -> StoredDocument:
        doc = self.check(content, media_type, filename, max_bytes=max_bytes)
        path = self.path_of(doc.sha256)
        if path.exists() and path.stat().st_size == doc.size:
            return doc  # the same content is already here
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return doc

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise DocumentNotFound(f"{sha256!r} is not a SHA-256 content hash")
        return self.root / sha256[:2] / sha256

    def read(self, sha256: str) -> bytes:
        path = self.path_of(sha256)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise DocumentNotFound(f"the document {sha256} is not in the document store") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise DomainError(f"the stored document {sha256} does not match its hash; restore it from the backup")
        return content


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"
