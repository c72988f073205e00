"""Demo members: a few hundred realistic companies and persons of an Isfahan and a Turkish chamber.

Deterministic per seed, and loaded through the same import path as a CSV file, so a second run changes nothing.
"""

from __future__ import annotations

import random
import sys
from typing import Any

from services.members.application import ImportReport, MemberDirectory, MemberRow, contact

TRADE_GROUPS: dict[str, dict[str, list[str]]] = {
    "فرش و صنایع دستی": {
        "turkish": ["İstanbul Halı Ticaret Ltd. Şti.", "Kapadokya El Sanatları Ltd. Şti."],
        "companies": ["فرش دستباف اصفهان", "گلیم و گبه زاگرس", "میناکاری هنر", "قلمزنی ایرانیان", "ترمه یزد"],
        "fields": ["تولید فرش دستباف", "صادرات فرش و گلیم", "صنایع دستی و میناکاری", "قلمزنی و خاتم‌کاری"],
        "products": ["فرش دستباف", "گلیم", "میناکاری", "قلمزنی", "خاتم", "ترمه", "قلمکار"],
    },
    "فولاد و فلزات": {
        "turkish": ["Karadeniz Çelik A.Ş.", "İskenderun Metal Sanayi A.Ş."],
        "companies": ["فولاد سپاهان", "آهن‌آلات مبارکه", "ریخته‌گری نقش جهان", "لوله و پروفیل زاینده‌رود"],
        "fields": ["تولید مقاطع فولادی", "ریخته‌گری", "بازرگانی آهن‌آلات", "تولید ورق گالوانیزه"],
        "products": ["میلگرد", "تیرآهن", "ورق فولادی", "شمش فولاد", "لوله و پروفیل", "قطعات ریخته‌گری"],
    },
    "مواد غذایی": {
        "turkish": ["Ege Gıda Sanayi A.Ş.", "Antep Fıstık Ticaret Ltd. Şti."],
        "companies": ["صنایع غذایی نقش جهان", "گز سکه", "زعفران طلایی", "لبنیات پگاه زاگرس", "خشکبار آریا"],
        "fields": ["صنایع غذایی", "فرآوری خشکبار", "تولید لبنیات", "بسته‌بندی زعفران"],
        "products": ["زعفران", "پسته", "خرما", "گز اصفهان", "لبنیات", "کشمش", "رب گوجه‌فرنگی"],
    },
    "پتروشیمی": {
        "turkish": ["Işık Kimya A.Ş."],
        "companies": ["پتروشیمی زاینده", "پلیمر کویر", "مواد شیمیایی پارس آریا"],
        "fields": ["تولید پلیمر", "مواد شیمیایی صنعتی", "بازرگانی محصولات پتروشیمی"],
        "products": ["پلی‌اتیلن", "پلی‌پروپیلن", "متانول", "اوره", "قیر"],
    },
    "نساجی و پوشاک": {
        "turkish": ["Anadolu Tekstil A.Ş.", "Bursa İplik Sanayi Ltd. Şti."],
        "companies": ["نساجی کاشانه", "ریسندگی شهرضا", "پوشاک هفت‌رنگ"],
        "fields": ["ریسندگی و بافندگی", "تولید پوشاک", "Tekstil üretimi"],
        "products": ["نخ پنبه", "پارچه", "پوشاک", "Pamuklu kumaş", "Hazır giyim"],
    },
    "کشاورزی و دامپروری": {
        "turkish": ["Çukurova Tarım A.Ş."],
        "companies": ["کشت و صنعت چهارمحال", "دامپروری سپیدان", "بذر و نهال جی"],
        "fields": ["کشت گلخانه‌ای", "دامپروری صنعتی", "تولید نهاده کشاورزی"],
        "products": ["صیفی‌جات", "گوشت قرمز", "کود شیمیایی", "بذر اصلاح‌شده"],
    },
    "کمیسیون حمل و نقل و لجستیک": {
        "turkish": ["Işık Lojistik A.Ş."],
        "companies": ["حمل و نقل آسیا ترابر", "ترخیص کالای سپاهان", "لجستیک ایران‌زمین"],
        "fields": ["حمل و نقل بین‌المللی", "ترخیص کالا", "انبارداری"],
        "products": ["حمل جاده‌ای", "ترخیص گمرکی", "خدمات انبار"],
    },
}
COMPANY_FORMS = ["شرکت", "شرکت تولیدی", "شرکت بازرگانی", "شرکت تعاونی"]
FIRST_NAMES = ["علی", "محمد", "حسین", "رضا", "مهدی", "مریم", "فاطمه", "زهرا", "سارا", "نرگس", "امیرحسین", "سیدمحمد"]
LAST_NAMES = ["رضایی", "احمدی", "کریمی", "موسوی", "حسینی", "نوری", "اصفهانی", "صادقی", "جعفری", "میرزایی", "طباطبایی"]
TURKISH_FIRST = ["Mehmet", "Ayşe", "İbrahim", "Fatma", "Mustafa", "Zeynep", "Işıl", "Emre"]
TURKISH_LAST = ["Yılmaz", "Demir", "Kaya", "Çelik", "Şahin", "Öztürk", "Aydın"]
TURKISH_ROLES = ["Genel Müdür", "Dış Ticaret Uzmanı", "Muhasebe", None]
ROLES = ["مدیرعامل", "مدیر بازرگانی", "کارشناس صادرات", "حسابدار", None]
COUNTRIES = ["IQ", "AE", "TR", "CN", "DE", "AF", "RU", "IN", "AM", "OM", "QA", "IT", "KZ"]
STREETS = [
    "خیابان چهارباغ",
    "خیابان حکیم نظامی",
    "خیابان شیخ صدوق",
    "شهرک صنعتی مورچه‌خورت",
    "شهرک صنعتی محمودآباد",
    "خیابان آتشگاه",
]


def _mobile(rng: random.Random) -> str:
    prefix = rng.choice(["0913", "0912", "0935", "0917", "0991"])
    digits = f"{rng.randint(0, 9999999):07d}"
    style = rng.random()
    if style < 0.3:
        return f"{prefix} {digits[:3]} {digits[3:]}"
    if style < 0.45:
        return (prefix + digits).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    return prefix + digits


def _isfahan_fixed(rng: random.Random) -> str:
    number = f"3{rng.randint(0, 9999999):07d}"
    return f"031-{number}" if rng.random() < 0.5 else f"(031) {number[:4]} {number[4:]}"


def _turkish_mobile(rng: random.Random) -> str:
    return f"+90 5{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def _turkish_fixed(rng: random.Random) -> str:
    return f"+90 224 {rng.randint(211, 499)} {rng.randint(10, 99)} {rng.randint(10, 99)}"  # Bursa


def demo_rows(count: int = 300, seed: int = 1405, region: str = "IR") -> list[MemberRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        group = rng.choice(list(TRADE_GROUPS))
        spec = TRADE_GROUPS[group]
        turkish = rng.random() < 0.12
        is_company = rng.random() < 0.8
        if is_company:
            name = (
                rng.choice(spec["turkish"])
                if turkish
                else f"{rng.choice(COMPANY_FORMS)} {rng.choice(spec['companies'])}"
            )
            if not turkish and rng.random() < 0.5:
                name += f" {rng.choice(['کاشان', 'نجف‌آباد', 'شاهین‌شهر', 'خمینی‌شهر', 'اصفهان'])}"
        else:
            name = (
                f"{rng.choice(TURKISH_FIRST)} {rng.choice(TURKISH_LAST)}"
                if turkish
                else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            )
        contacts: list[dict[str, Any]] = []
        for n in range(1 if not is_company else rng.choice([1, 1, 2, 3])):
            person = (
                name
                if not is_company and n == 0
                else (
                    f"{rng.choice(TURKISH_FIRST)} {rng.choice(TURKISH_LAST)}"
                    if turkish
                    else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                )
            )
            numbers = [_turkish_mobile(rng) if turkish else _mobile(rng)]
            if is_company and rng.random() < 0.6:
                numbers.append(_turkish_fixed(rng) if turkish else _isfahan_fixed(rng))
            roles = TURKISH_ROLES if turkish else ROLES
            contacts.append(contact(person, numbers, region, role=rng.choice(roles) if is_company else None))
        imports = sorted(rng.sample(COUNTRIES, rng.randint(0, 2)))
        exports = sorted(rng.sample(COUNTRIES, rng.randint(0, 3)))
        roll = rng.random()
        status = "active" if roll < 0.88 else ("suspended" if roll < 0.96 else "ended")
        rows.append(
            MemberRow(
                membership_number=f"{seed}{i + 1:05d}",
                details={
                    "kind": "company" if is_company else "person",
                    "name": name,
                    "trade_group": group,
                    "field_of_activity": rng.choice(spec["fields"]),
                    "products": list(dict.fromkeys(rng.sample(spec["products"], rng.randint(1, 3)))),
                    "import_countries": imports,
                    "export_countries": exports,
                    "contacts": contacts,
                    "email": f"info{i + 1}@member{seed}.example" if rng.random() < 0.7 else None,
                    "address": f"اصفهان، {rng.choice(STREETS)}، پلاک {rng.randint(1, 400)}"
                    if not turkish
                    else "Bursa, Organize Sanayi Bölgesi",
                    "preferred_language": ("tr" if turkish else rng.choice(["fa", "fa", "fa", "en", "ar"])),
                },
                status=status,
                status_reason={"suspended": "عدم تمدید کارت عضویت", "ended": "انصراف از عضویت"}.get(status),
                line=i + 1,
            )
        )
    return rows


def load_members(directory: MemberDirectory, count: int = 300, seed: int = 1405, *, out=sys.stdout) -> ImportReport:
    """Load (or bring back in line) the demo members; a second run with the same seed changes nothing."""
    report = directory.import_rows(demo_rows(count, seed, directory.region), by="demo")
    print(
        f"demo members: {report.created} registered, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected",
        file=out,
    )
    return report
