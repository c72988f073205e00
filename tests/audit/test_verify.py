"""An untouched export verifies; every kind of change is caught, at the line where it shows."""

from __future__ import annotations

import json
import os
import stat

import rfc8785

from services.registry import stored
from shared.audit.chain import line_hash, split_line


def lines_of(export_dir):
    return (export_dir / "members.jsonl").read_bytes().splitlines(keepends=True)


def rewrite(export_dir, lines):
    (export_dir / "members.jsonl").write_bytes(b"".join(lines))


def verify(crm, export_dir, keys, *more):
    return crm("audit", "verify", export_dir, *more, "--public-key", keys[1])


def test_an_untouched_export_verifies(crm, export_dir, keys):
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 0
    assert "verified (1 files, 24 events)" in out


def test_each_line_is_one_event_in_canonical_json_chained_to_the_line_before(export_dir):
    lines = lines_of(export_dir)
    assert len(lines) == 24
    previous = "0" * 64
    positions = []
    for raw in lines:
        line = raw.rstrip(b"\n")
        assert rfc8785.dumps(json.loads(line)) == line  # the whole line is canonical too
        event, prev = split_line(line)
        assert prev == previous
        record = json.loads(event)
        assert set(record) == {"position", "aggregate_id", "version", "type", "time", "data"}
        assert record["type"].startswith("crm.members.")
        positions.append(record["position"])
        previous = line_hash(line)
    assert positions == list(range(1, 25))
    first = json.loads(split_line(lines[0].rstrip(b"\n"))[0])
    assert first["version"] == 1 and first["data"]["membership_number"] == "3000"


def test_an_edited_line_breaks_the_link_of_the_next_one(crm, export_dir, keys):
    lines = lines_of(export_dir)
    lines[4] = lines[4].replace(b'"company"', b'"person"').replace(b'"3002"', b'"3009"')
    assert lines[4] != lines_of(export_dir)[4]
    rewrite(export_dir, lines)
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1
    assert "members.jsonl line 6: its prev is not the SHA-256 of line 5: line 5 was changed" in out


def test_an_edited_last_line_is_caught_by_the_manifest(crm, export_dir, keys):
    lines = lines_of(export_dir)
    lines[-1] = lines[-1].replace(b"z.rahimi", b"z.rahimX")
    assert lines[-1] != lines_of(export_dir)[-1]
    rewrite(export_dir, lines)
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1
    assert "members.jsonl line 24: the last line is not the one the manifest lists" in out


def test_a_deleted_line_fails_where_it_was(crm, export_dir, keys):
    lines = lines_of(export_dir)
    del lines[6]
    rewrite(export_dir, lines)
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1
    assert "members.jsonl line 7: its prev is not the SHA-256 of line 6" in out


def test_deleting_the_first_or_last_line_is_caught(crm, export_dir, keys):
    original = lines_of(export_dir)
    rewrite(export_dir, original[1:])
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl line 1: its prev does not start the chain" in out
    rewrite(export_dir, original[:-1])
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl line 24: the file has 23 lines, the manifest lists 24" in out


def test_an_inserted_line_fails_itself(crm, export_dir, keys):
    original = lines_of(export_dir)
    rewrite(export_dir, [*original[:7], original[2], *original[7:]])  # a copy of line 3 as line 8
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl line 8: its prev is not the SHA-256 of line 7" in out

    event, _ = split_line(original[2].rstrip(b"\n"))
    forged = b'{"event":%s,"prev":"%s"}\n' % (event, line_hash(original[6].rstrip(b"\n")).encode())
    rewrite(export_dir, [*original[:7], forged, *original[7:]])
    code, out, _ = verify(crm, export_dir, keys)
    # Its prev forged to fit, the line still fails itself: positions only ever grow within a file.
    assert code == 1 and "members.jsonl line 8: position 3 does not follow position 7" in out


def test_reordered_lines_fail_at_the_first_moved(crm, export_dir, keys):
    lines = lines_of(export_dir)
    lines[9], lines[10] = lines[10], lines[9]
    rewrite(export_dir, lines)
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl line 10: its prev is not the SHA-256 of line 9" in out


def test_a_consistently_rechained_file_still_fails_on_the_signed_manifest(crm, export_dir, keys):
    # Whoever edits a line and recomputes every prev after it still cannot re-sign the manifest.
    lines = [line.rstrip(b"\n") for line in lines_of(export_dir)]
    events = [split_line(line)[0] for line in lines]
    edited = events[2].replace(b'"3001"', b'"3099"')
    assert edited != events[2]
    events[2] = edited
    prev, out_lines = "0" * 64, []
    for event in events:
        line = b'{"event":%s,"prev":"%s"}' % (event, prev.encode())
        out_lines.append(line + b"\n")
        prev = line_hash(line)
    rewrite(export_dir, out_lines)
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl line 24: the last line is not the one the manifest lists" in out


def test_a_changed_manifest_or_another_key_fails_the_signature(crm, export_dir, keys, tmp_path):
    manifest = json.loads((export_dir / "manifest.json").read_bytes())
    manifest["files"][0]["lines"] = 23
    (export_dir / "manifest.json").write_bytes(rfc8785.dumps(manifest))
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "manifest.json: the manifest's signature does not verify" in out

    code, _, _ = crm("audit", "keygen", "--out", tmp_path / "other")
    code, out, _ = crm("audit", "verify", export_dir, "--public-key", tmp_path / "other" / "audit-ed25519.pub")
    assert code == 1 and "signature does not verify" in out


def test_a_removed_or_added_file_is_caught(crm, export_dir, keys):
    (export_dir / "calls.jsonl").write_bytes(b"")
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "calls.jsonl: not listed in the manifest" in out
    (export_dir / "calls.jsonl").unlink()
    (export_dir / "members.jsonl").unlink()
    code, out, _ = verify(crm, export_dir, keys)
    assert code == 1 and "members.jsonl: missing" in out


def test_what_cannot_be_checked_exits_2(crm, export_dir, keys, tmp_path):
    code, _, err = crm("audit", "verify", tmp_path / "nowhere", "--public-key", keys[1])
    assert code == 2 and "no readable manifest" in err
    code, _, err = crm("audit", "verify", export_dir, "--public-key", export_dir / "members.jsonl")
    assert code == 2 and "not a readable public key" in err


def test_exports_form_a_chain_of_signatures(crm, export_dir, keys, tmp_path):
    second = tmp_path / "second"
    code, _, _ = crm("audit", "export", "--all", "--out", second, "--key", keys[0])
    assert code == 0
    first_signature = (export_dir / "manifest.sig").read_text().strip()
    assert json.loads((second / "manifest.json").read_bytes())["previous_signature"] == first_signature
    code, out, _ = verify(crm, export_dir, keys, second)
    assert code == 0, out
    code, out, _ = crm("audit", "verify", second, export_dir, "--public-key", keys[1])
    assert code == 1 and "does not name the previous export's signature" in out


def test_the_private_key_is_readable_by_its_owner_only_and_never_overwritten(crm, keys):
    assert stat.S_IMODE(os.stat(keys[0]).st_mode) == 0o600
    assert b"BEGIN PUBLIC KEY" in keys[1].read_bytes()
    code, _, err = crm("audit", "keygen", "--out", keys[0].parent)
    assert code == 2 and "already holds an audit key" in err


def test_an_export_needs_an_empty_folder_and_a_key(crm, export_dir, keys, tmp_path):
    code, _, err = crm("audit", "export", "--all", "--out", export_dir, "--key", keys[0])
    assert code == 2 and "not empty" in err
    code, _, err = crm("audit", "export", "--all", "--out", tmp_path / "x")
    assert code == 2 and "no signing key" in err
    assert not (tmp_path / "x").exists()


def test_a_proof_shows_one_event_is_in_the_export_on_its_own(crm, export_dir, keys, tmp_path):
    code, out, _ = crm("audit", "prove", export_dir, "--position", 7)
    assert code == 0
    proof = json.loads(out)
    assert proof["line_number"] == 7 and json.loads(split_line(proof["line"].encode())[0])["position"] == 7
    assert len(proof["path"]) == 5  # a tree of 24 leaves
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(out)
    # Checked without the export: the export folder is gone.
    for path in export_dir.iterdir():
        path.unlink()
    code, out, _ = crm("audit", "check-proof", proof_file, "--public-key", keys[1])
    assert code == 0 and "line 7 of members.jsonl is in the export signed by the key" in out

    forged = {**proof, "line": proof["line"].replace("z.rahimi", "a.someone")}
    assert forged["line"] != proof["line"]
    proof_file.write_text(json.dumps(forged))
    code, out, _ = crm("audit", "check-proof", proof_file, "--public-key", keys[1])
    assert code == 1 and "Merkle path does not lead to the file's root" in out

    code, _, _ = crm("audit", "keygen", "--out", tmp_path / "other")
    proof_file.write_text(json.dumps(proof))
    code, out, _ = crm("audit", "check-proof", proof_file, "--public-key", tmp_path / "other" / "audit-ed25519.pub")
    assert code == 1 and "signature does not verify" in out


def test_proving_an_event_not_in_the_export_exits_2(crm, export_dir):
    code, _, err = crm("audit", "prove", export_dir, "--position", 99)
    assert code == 2 and "no event at position 99" in err


def test_an_export_keeps_to_its_days_and_an_empty_one_still_verifies(crm, members_store, keys, tmp_path):
    out = tmp_path / "2001"
    code, _, err = crm(
        "audit", "export", "--all", "--from", "2001-01-01", "--to", "2001-01-31", "--out", out, "--key", keys[0]
    )
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert manifest["period"] == {"from": "2001-01-01", "to": "2001-01-31"}
    assert {f["name"]: f["lines"] for f in manifest["files"]}["members.jsonl"] == 0
    assert (out / "members.jsonl").read_bytes() == b""
    code, out_text, _ = verify(crm, out, keys)
    assert code == 0 and f"verified ({len(stored())} files, 0 events)" in out_text  # one file per event store
    code, _, err = crm(
        "audit",
        "export",
        "--all",
        "--from",
        "2001-02-01",
        "--to",
        "2001-01-31",
        "--out",
        tmp_path / "x",
        "--key",
        keys[0],
    )
    assert code == 2 and "--to is before --from" in err


def test_an_event_the_contract_does_not_declare_stops_the_export_and_leaves_nothing(
    crm, members_store, keys, tmp_path, monkeypatch
):
    from services.members.contract import CONTRACT

    first = next(iter(CONTRACT.events))
    monkeypatch.setattr(CONTRACT, "events", {k: v for k, v in CONTRACT.events.items() if k != first})
    monkeypatch.setattr(CONTRACT, "_by_class", None)
    monkeypatch.setattr(CONTRACT, "_by_topic", {})
    out = tmp_path / "export"
    code, _, err = crm("audit", "export", "--service", "members", "--out", out, "--key", keys[0])
    assert code == 2 and "Member.Registered' has no wire type" in err and "nothing was exported" in err
    assert list(out.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_a_usage_error(crm, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = crm("audit", "keygen", "--out", tmp_path / "file" / "keys")
    assert code == 2 and "file" in err
