"""Writes ``redaction_set.jsonl``: the labelled evaluation set of PII redaction.

Usage (from the repository root; the output is committed, so run it only to change the set):
    python tests/data/make_redaction_set.py

One JSON object a line: ``{"id", "text", "spans": [{"start", "end", "type"}], "group"}``.
Positives have one or more spans (the exact characters that must disappear under a
placeholder, and the type of data); ordinary sentences have none. ``group`` says where a
line comes from (``phone/national/FR``, ``iban/lower``, ``negative/version``...), so the
benchmark can report by group.

Nothing here imports ``langmem_plugin``: the set must not be derived from the code it
judges. What is generated is drawn from the formats' own definitions:

- phone numbers from libphonenumber's example numbers per region and type
  (``phonenumbers.example_number_for_type``), with their last digits varied and the
  variant kept only when libphonenumber still calls it valid, written in national,
  international (``+CC`` and ``00CC``) and E.164 forms and with other separators by hand
  here. They measure how we *use* libphonenumber (regions, formats, ordering against
  IBANs and cards, context), not libphonenumber's own coverage, which is why the
  hand-written numbers below (fictional ranges: Ofcom's 020 7946 0xxx, the US 555-01xx)
  are there too;
- card numbers: issuer prefixes and lengths with a Luhn check digit computed here;
- IBANs: each country's example IBAN from the SWIFT registry, account digits replaced at
  random and the ISO 7064 mod-97 check digits computed here;
- SSNs, IP addresses and tokens: random values of the documented shapes.

The ordinary sentences are written to look like a chat about life and work and to hold the
numbers that resemble PII: dates, times, prices, versions, section numbers, order numbers,
hashes, measurements, years, scores, street numbers, ids and code.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import phonenumbers as pn

OUT = Path(__file__).with_name("redaction_set.jsonl")
rng = random.Random(20261202)
lines: list[dict[str, object]] = []


def add(group: str, template: str, *values: tuple[str, str]) -> None:
    """One line: ``template`` with ``{}`` slots filled by (text, type) values, spans kept."""
    parts = template.split("{}")
    assert len(parts) == len(values) + 1, template
    text, spans = parts[0], []
    for (value, kind), tail in zip(values, parts[1:], strict=True):
        spans.append({"start": len(text), "end": len(text) + len(value), "type": kind})
        text += value + tail
    lines.append({"id": len(lines), "text": text, "spans": spans, "group": group})


def pick(options: list[str]) -> str:
    return rng.choice(options)


# ---------------------------------------------------------------- e-mail addresses
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
LAST = ["smith", "nguyen", "okafor", "garcia", "muller", "rossi", "kowalski", "tanaka"]
DOMAINS = [
    "example.com",
    "mail.co.uk",
    "uni-heidelberg.de",
    "corp.example.io",
    "gmail.com",
    "outlook.fr",
    "sub.domain.org",
    "company.com.au",
]
EMAIL_CONTEXTS = [
    "Write to {} tomorrow",
    "my mail is {}.",
    "Contact: {}",
    "ping {} when the build is green",
    "<{}>",
    "Her address, {}, bounced twice",
    "cc {} and {} on the invoice",
    "(send the slides to {})",
    "Email: {}; phone later",
    "you can reach me at {}!",
]
for i in range(30):
    template = EMAIL_CONTEXTS[i % len(EMAIL_CONTEXTS)]
    values = []
    for _ in range(template.count("{}")):
        first, last = pick(FIRST), pick(LAST)
        local = pick(
            [
                f"{first}.{last}",
                f"{first}{rng.randint(1, 99)}",
                f"{first}+news",
                f"{first[0]}.{last}_{rng.randint(1, 9)}",
                f"{first}-{last}",
                first.upper(),
            ]
        )
        values.append((f"{local}@{pick(DOMAINS)}", "EMAIL"))
    add("email/ascii", template, *values)
INTERNATIONAL_EMAILS = [
    "josé@exämple.de",
    "müller@büro.de",
    "иван@пример.рф",
    "用户@例子.广告",
    "अजय@डाटा.भारत",
    "δοκιμή@παράδειγμα.δοκιμή",
    "medved@s-balalajkoj.рф",
    "二ノ宮@黒川.日本",
    "chloé.dupont@société.fr",
    "info@xn--mller-kva.de",
    "søren@blåbær.dk",
    "françois@exemple.ca",
]
for i, address in enumerate(INTERNATIONAL_EMAILS):
    add(
        "email/international",
        EMAIL_CONTEXTS[i % len(EMAIL_CONTEXTS)].replace("{} and {}", "{}")
        if "{} and {}" in EMAIL_CONTEXTS[i % len(EMAIL_CONTEXTS)]
        else EMAIL_CONTEXTS[i % len(EMAIL_CONTEXTS)],
        (address, "EMAIL"),
    )

# ---------------------------------------------------------------- phone numbers
PHONE_CONTEXTS = [
    "call me on {} after six",
    "my number is {}",
    "{} is my mobile",
    "You can reach the office at {}.",
    "ring {} if the door is locked",
    "WhatsApp: {}",
    "Tel. {}",
    "(mobile: {})",
    "Fax {} for the contract",
    "Text me at {} tomorrow",
    "Her cell is {}, call before noon",
    "new number {} - save it",
    "Sam: {}",
    "the plumber's {}",
]
NATIONAL_REGIONS = [
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "IN",
    "AU",
    "BR",
    "CA",
    "CH",
    "AT",
    "BE",
    "IE",
    "PL",
    "SE",
    "MX",
]
INTERNATIONAL_ONLY = [
    "JP",
    "CN",
    "KR",
    "AR",
    "ZA",
    "NG",
    "EG",
    "RU",
    "TR",
    "NO",
    "DK",
    "FI",
    "PT",
    "GR",
    "IL",
    "AE",
    "SA",
    "SG",
    "HK",
    "NZ",
    "PH",
    "ID",
    "TH",
    "VN",
    "PK",
    "KE",
    "CO",
    "CL",
]
TYPES = [pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.TOLL_FREE]


def varied(region: str, kind: int) -> pn.PhoneNumber | None:
    example = pn.example_number_for_type(region, kind)
    if example is None:
        return None
    nsn = pn.national_significant_number(example)
    for _ in range(20):
        digits = nsn[:-3] + "".join(rng.choice(string.digits) for _ in range(3))
        number = pn.parse("+" + str(example.country_code) + digits)
        if pn.is_valid_number(number):
            return number
    return example


def separators(formatted: str) -> str:
    sep = pick(["-", ".", " ", ""])
    return formatted.replace(" ", sep) if sep != " " else formatted


for region in NATIONAL_REGIONS + INTERNATIONAL_ONLY:
    for kind in TYPES:
        number = varied(region, kind)
        if number is None:
            continue
        national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
        international = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
        e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)
        idd = "00" if pn.country_code_for_region(region) != 1 else "011 "
        forms = [
            rng.choice(
                [
                    ("international", international),
                    ("e164", e164),
                    ("idd", separators(international.replace("+", idd, 1))),
                ]
            )
        ]
        if region in NATIONAL_REGIONS:
            forms += [("national", national), ("national", separators(national))]
        for form, text in forms:
            add(f"phone/{form}/{region}", pick(PHONE_CONTEXTS), (text, "PHONE"))
HAND_PHONES = [
    ("reach me at {} after six", "+44 20 7946 0958"),
    ("call {}", "+1 (415) 555-2671"),
    ("my number is {}", "+33612345678"),
    ("office: {}", "(415) 555-2671"),
    ("text {} anytime", "415-555-2671"),
    ("fax {}", "415.555.2671"),
    ("cell {}", "415 555 2671"),
    ("London office {}", "020 7946 0958"),
    ("mon portable: {}", "06 12 34 56 78"),
    ("Berlin {}", "030-1234567"),
    ("the studio is on {}", "+49 30 901820"),
    ("Call {} for support", "+91 98765 43210"),
    ("phone {} Tokyo", "+81 3-1234-5678"),
    ("reach Sam on {}", "0161 496 0000"),
    ("dial {} from abroad", "0044 20 7946 0958"),
    ("the hotline is {}", "1-800-555-0199"),
    ("my landline is {}", "555-0199"),
    ("mobile {} ok", "0612345678"),
    ("Munich office: {}", "+49 (0)89 1234567"),
    ("UK mobile {}", "07700 900123"),
    ("from the US dial {}", "011 44 20 7946 0958"),
    ("Sydney {}", "(02) 9876 5432"),
    ("my Handy: {}", "0151 23456789"),
    ("call Luca at {}", "+39 06 1234 5678"),
    ("Madrid {}", "+34 912 345 678"),
    ("Amsterdam {}", "020-123 4567"),
    ("Paris {}", "01 42 68 53 00"),
    ("Toronto {}", "416-555-0123"),
    ("Mumbai {}", "022 2345 6789"),
    ("São Paulo {}", "(11) 3456-7890"),
]
for template, phone in HAND_PHONES:
    add("phone/hand", template, (phone, "PHONE"))

# ---------------------------------------------------------------- payment cards


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # the check digit goes right of body, so body's last digit doubles
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


ISSUERS = [
    ("4", 16),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3528", 16),
    ("36", 14),
    ("62", 19),
    ("4", 13),
    ("6304", 18),
]
CARD_CONTEXTS = [
    "card {} expires soon",
    "visa {}",
    "Paid with {}.",
    "card number: {}",
    "my credit card is {}",
    "use {} for the hotel",
    "{} (exp 04/27, cvc later)",
]
for i in range(42):
    prefix, length = ISSUERS[i % len(ISSUERS)]
    digits = luhn_complete(prefix, length)
    style = i % 3
    if style == 0:
        text = digits
    elif length == 15:
        text = f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    else:
        sep = " " if style == 1 else "-"
        text = sep.join(digits[j : j + 4] for j in range(0, length, 4))
    add("card", CARD_CONTEXTS[i % len(CARD_CONTEXTS)], (text, "CARD"))

# ---------------------------------------------------------------- IBANs
IBAN_EXAMPLES = [
    "DE89370400440532013000",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "NL91ABNA0417164300",
    "BE68539007547034",
    "CH9300762011623852957",
    "AT611904300234573201",
    "PL61109010140000071219812874",
    "PT50000201231234567890154",
    "SE4550000000058398257466",
    "NO9386011117947",
    "DK5000400440116243",
    "FI2112345600000785",
    "IE29AIBK93115212345678",
    "LU280019400644750000",
    "GR1601101250000000012300695",
    "CZ6508000000192000145399",
    "HU42117730161111101800000000",
    "RO49AAAA1B31007593840000",
    "HR1210010051863000160",
    "SI56263300012039086",
    "BG80BNBG96611020345678",
    "LT121000011101001000",
    "EE382200221020145685",
    "TR330006100519786457841326",
    "SA0380000000608010167519",
]


def mod97_check(country: str, bban: str) -> str:
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return f"{98 - number % 97:02d}"


def new_iban(example: str) -> str:
    country, bban = example[:2], example[4:]
    head = 4 if not bban[:4].isdigit() else 0  # keep a bank code made of letters
    bban = bban[:head] + "".join(
        rng.choice(string.digits) if ch.isdigit() else ch for ch in bban[head:]
    )
    return country + mod97_check(country, bban) + bban


IBAN_CONTEXTS = [
    "my IBAN is {}",
    "{} is the account",
    "transfer the rent to {} please",
    "IBAN: {} (Zurich)",
    "bank details: {}, BIC later",
    "pay into {}.",
]
for i, example in enumerate(IBAN_EXAMPLES * 2):
    iban = new_iban(example)
    spaced = " ".join(iban[j : j + 4] for j in range(0, len(iban), 4))
    style = ["compact", "spaced", "lower", "lower-spaced"][i % 4]
    text = {
        "compact": iban,
        "spaced": spaced,
        "lower": iban.lower(),
        "lower-spaced": spaced.lower(),
    }[style]
    add(f"iban/{style}", IBAN_CONTEXTS[i % len(IBAN_CONTEXTS)], (text, "IBAN"))
add("iban/hand", "my IBAN is {}", ("de89 3704 0044 0532 0130 00", "IBAN"))
add("iban/hand", "IBAN {} BIC COBADEFFXXX", ("DE89 3704 0044 0532 0130 00", "IBAN"))

# ---------------------------------------------------------------- SSNs
SSN_CONTEXTS = [
    "SSN {} on file",
    "social security number {}",
    "ssn:{}",
    "my SSN is {}.",
    "SSN ({}) for the tax form",
]
for i in range(20):
    area = rng.choice([a for a in range(1, 900) if a != 666])
    sep = "-" if i % 4 else " "
    ssn = f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"
    add("ssn", SSN_CONTEXTS[i % len(SSN_CONTEXTS)], (ssn, "SSN"))

# ---------------------------------------------------------------- IP addresses
IP_CONTEXTS = [
    "server at {} is down",
    "ssh root@{}",
    "ping {}",
    "the printer has IP {}.",
    "allow {} in the firewall",
    "from {}, then retry",
    "my home IP is {}",
    "curl http://{}:8080/health",
    "connect to {} on port 22",
]
for i in range(24):
    ip = ".".join(str(rng.randint(0 if j else 1, 255)) for j in range(4))
    add("ip/v4", IP_CONTEXTS[i % len(IP_CONTEXTS)], (ip, "IP"))
for i in range(16):
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    style = i % 4
    if style == 0:
        ip = ":".join(groups)
    elif style == 1:
        ip = "2001:db8::" + ":".join(groups[:3])
    elif style == 2:
        ip = "fe80::" + ":".join(groups[:4])
    else:
        ip = ":".join(g.zfill(4) for g in groups)
    add("ip/v6", IP_CONTEXTS[i % len(IP_CONTEXTS)].replace("http://{}:8080", "{}"), (ip, "IP"))

# ---------------------------------------------------------------- secrets


def token(alphabet: str, length: int) -> str:
    while True:
        out = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in out) and (
            any(c.isupper() for c in out) or not any(c.isalpha() for c in alphabet)
        ):
            return out


B62 = string.ascii_letters + string.digits
for prefix, alphabet, length in [
    ("sk-proj-", B62 + "_-", 40),
    ("sk-", B62, 48),
    ("sk-ant-api03-", B62 + "_-", 40),
    ("sk_live_", B62, 24),
    ("rk_test_", B62, 24),
    ("ghp_", B62, 36),
    ("github_pat_", B62, 40),
    ("AKIA", string.ascii_uppercase + string.digits, 16),
    ("xoxb-", string.digits + "-", 30),
    ("AIza", B62 + "_-", 35),
    ("glpat-", B62, 20),
]:
    for template in ["my key is {}", "export TOKEN={}"]:
        add("secret/prefixed", template, (prefix + token(alphabet, length), "SECRET"))
add(
    "secret/jwt",
    "jwt {}",
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNH"
        "l0w5N_XgL0n3I9PlFUP0THsR8U",
        "SECRET",
    ),
)
for _ in range(4):
    add("secret/bearer", "Authorization: Bearer {}", (token(B62 + "._-", 32), "SECRET"))
HAND_SECRETS = [
    ("my password is {}", "hunter2"),
    ("pw: {}", "Tr0ub4dor&3"),
    ("the code is {}", "4711"),
    ("My PIN is {}.", "0815"),
    ("the wifi password is {}", "sunflower22"),
    ("the password for my bank is {}", "Xy9!fa_2"),
    ("my passphrase is '{}'", "correct horse battery staple"),
    ("password: {}", "letmein123"),
    ("password={}", "hunter2!x"),
    ('"api_key": "{}"', "q8Wz-31kd-ZZp0"),
    ("DB_PASSWORD={}", "s3cr3t-pg"),
    ("POSTGRES_PASSWORD: {}", "postgres123"),
    ("postgres://app:{}@db.internal:5432/app", "p4ssw0rd"),
    ("the door code is {}", "2580"),
    ("our alarm code is {}, don't forget", "1934"),
    ("my api key is {}", "a1b2c3d4e5f6g7h8"),
    ("the secret is {}", "blue-Falcon-42"),
    ("I set my password to {}", "Summer2024!"),
    ("her PIN number is {}", "4321"),
    ("login bob, password {}", "qwerty12"),
    ('The password is "{}"', "open sesame"),
    ("pwd = {}", "admin1234"),
    ("my gmail password is {} lol", "ilovecats99"),
    ("the verification code is {}", "583920"),
    ("my passcode is {}", "246810"),
    ("the garage code: {}", "7788"),
    ("token is {}", "tk_93kd83jd92kd83"),
    ("my password is {} - don't tell", "dragon"),
    ("The PIN for the card is {}", "9052"),
    ("secret key: {}", "8f3Kd9_x2Lq"),
]
for template, secret in HAND_SECRETS:
    add("secret/stated", template, (secret, "SECRET"))
add(
    "secret/private-key",
    "{}",
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3f9\n-----END RSA PRIVATE KEY-----",
        "SECRET",
    ),
)
for _ in range(3):
    add("secret/entropy", "session cookie {}", (token(B62, 32), "SECRET"))

# ---------------------------------------------------------------- mixed
add("mixed", "mail {} or call {}", ("ada@example.org", "EMAIL"), ("+44 20 7946 0958", "PHONE"))
add(
    "mixed",
    "IBAN {}, card {}",
    ("DE89 3704 0044 0532 0130 00", "IBAN"),
    ("4111 1111 1111 1111", "CARD"),
)
add("mixed", "ssh {} with password {}", ("10.0.0.7", "IP"), ("tr0ub4dor", "SECRET"))

# ---------------------------------------------------------------- ordinary sentences
NEGATIVE_TEMPLATES: dict[str, list[str]] = {
    "date": [
        "The meeting is on {d4}-{m:02d}-{d:02d} at {h:02d}:{mi:02d}.",
        "We met on {d:02d}.{m:02d}.{d4} in Lyon.",
        "Her birthday is {m}/{d}/{d4}.",
        "Deadline: {d:02d}/{m:02d}/{d4}",
        "Invoice dated {d4}{m:02d}{d:02d}.",
        "From {d:02d}-{m:02d}-{d4} to {d2:02d}-{m:02d}-{d4} I'm away.",
        "The conference runs {d4}-{m:02d}-{d:02d} to {d4}-{m:02d}-{d2:02d}.",
    ],
    "time": [
        "The train leaves at {h:02d}:{mi:02d}:{s:02d} sharp.",
        "Between {h:02d}:00 and {h2:02d}:30 the shop is open.",
        "I ran 10 km in {mi}:{s:02d} yesterday.",
        "Track {n2} lasts {h}:{s:02d}.",
    ],
    "price": [
        "It costs ${n4},{n3:03d}.99 including tax.",
        "The flat is {n3} {n3b:03d} 000 € in Paris.",
        "Our budget is €{n2},{n3:03d} for {d4}.",
        "Rent went up from {n4} to {n4b} a month.",
        "The invoice total is {n4}.00 USD, due {d4}-{m:02d}-01.",
        "Salary {n2}k-{n2b}k plus equity.",
    ],
    "version": [
        "Upgrade to Python 3.{n1}.{n1b} before Friday.",
        "We pinned numpy=={n1}.{n2}.{n1b} and pandas {n1}.{n1b}.0.",
        "Chrome version {n3}.0.{n4}.{n3b} fixed it.",
        "Release v{n1}.{n1b}.{n1c}.{n2} ships.",
        "Version {n1}.{n1b}.{n1c}.{n1d}",
        "Kernel 6.{n1}.0-{n2}-amd64 is installed.",
        "Windows 11 build {n5}.{n4} is current.",
        "firmware {n1}.{n2}.{n1b}.{n3} on the router",
        "bump the package to {n1}.{n2}.{n1b}.{n2b} and tag it",
    ],
    "section": [
        "Section {n1}.{n1b}.{n1c}.{n1d} describes the protocol.",
        "see section {n1}.{n1b}.{n1c}.{n1d}",
        "As clause {n2}.{n1}.{n1b} says, no refunds.",
        "Read chapter {n1}.{n1b} and §{n2}.{n1}.{n1c}.{n1d} of the code.",
        "Figure {n1}.{n1b}.{n1c} shows the trend.",
        "RFC {n4} section {n1}.{n1b}.{n1c}",
    ],
    "order": [
        "Order #{n5} shipped on March 3rd.",
        "The ticket number is {n4} and the seat 12B.",
        "Order number {n3}-{n7}-{n7b} from Amazon.",
        "Tracking 1Z{n3}AA{n8} arrives Monday.",
        "Customer no. {n6}, contract {n5}.",
        "PO-{d4}-{n5} was approved.",
        "invoice INV-{n6} is overdue",
        "Case {n8} was escalated.",
    ],
    "hash": [
        "The commit {h7} fixed the leak.",
        "sha256 {h64}",
        "git cherry-pick {h40}",
        "The docker image digest is sha256:{h64}.",
        "md5 {h32} matches.",
    ],
    "measure": [
        "The recipe needs {n3} g flour and {n1} eggs.",
        "The package weighs {n1}.{n2} kg.",
        "He ran the 100 m in 9.{n2} seconds.",
        "The room is {n1}.{n2} x {n1b}.{n2b} m.",
        "We need {n1}x 4K monitors at {n2} inches.",
        "Coordinates 48.{n4}, 2.{n4b} mark Paris.",
        "The screen is 1920x1080 at 144 Hz.",
        "Tyre pressure 2.{n1} bar, {n2} psi.",
    ],
    "year": [
        "She was born in {d4} and moved in {d4b}.",
        "The years {d4}-{d4b} were formative.",
        "Back in {d4} we had {n2} employees.",
        "Q{n1} {d4} revenue grew {n1b}.{n1c}%.",
    ],
    "score": [
        "The score was {n1}-{n1b} after extra time.",
        "He scored {n2}.{n1} out of 100.",
        "We won {n2}:{n2b} at home.",
        "Final: {n3}-{n3b}, overtime.",
    ],
    "street": [
        "I live at {n3} Baker Street, flat {n2}.",
        "Meet at {n4} Pennsylvania Avenue.",
        "The office is Hauptstraße {n2}, {n5} Berlin.",
        "Route {n3} was closed for {n1} hours.",
        "Room {n3}, building {n1}, floor {n1b}.",
        "The ZIP code {n5} is in San Francisco.",
    ],
    "id": [
        "The uuid {uuid} names the run.",
        "Ticket JIRA-{n4} is blocked.",
        "Message id lc_run--{uuid} was archived.",
        "Employee ID {n6} starts Monday.",
        "ISBN 978-3-{n2}-{n6}-{n1} is the second edition.",
        "PR #{n4} closes issue #{n4b}.",
        "Flight UA {n3} departs at {h:02d}:{mi:02d}.",
        "run id {n10}",
        "The timestamp 17{n8} is in seconds.",
        "build {n8}.{n1} on CI",
    ],
    "code": [
        "x = arr[{n1}:{n1b}] + [{n2}, {n2b}, {n3}]",
        "for i in range({n4}): total += i * {n2}",
        "SELECT * FROM orders WHERE id = {n6} LIMIT {n2};",
        "assert resp.status_code == 404, resp.text",
        "port = {n4}  # was {n4b}",
        "timeout=30000, retries={n1}",
        "if (x > {n3}.{n2}) return {n1};",
        "curl -X POST localhost:{n4}/v1/items",
        "docker run -p {n4}:{n4} app:{n1}.{n1b}.{n1c}",
        "print(f'{{value:.{n1}f}}')",
    ],
    "password-talk": [
        "I forgot my password again.",
        "my password is wrong apparently",
        "The password is stored in 1Password.",
        "reset your PIN at the bank",
        "the code is on GitHub",
        "the error code is {n3}",
        "The status code is 404.",
        "my password is too short, it says",
        "the password is case-sensitive",
        "Our secret is that we never test on Fridays.",
        "the API key is in the .env file",
        "the zip code is {n5}",
        "Your token is valid for {n2} hours.",
        "the code is a mess, honestly",
        "My PIN is the same as before.",
        "the password has to be {n2} characters",
    ],
    "misc": [
        "The population was {n1},{n3:03d},{n3b:03d} in {d4}.",
        "Prices rose {n1}.{n1b}% in Q3.",
        "Take {n1} tablets every {n1b} hours for {n1c} days.",
        "Call me between 9 and 5.",
        "The API returned status {n3} after {n4} ms.",
        "My cat Miso is {n1} years old.",
        "A ratio of 16:9 suits the screen.",
        "Dinner for {n1} at 19:30 on Saturday.",
        "The model has {n2}B parameters and a 128k context.",
        "Use @property for that.",
        "The logo is logo@2x.png in assets.",
        "Highway {n3} had {n5} cars a day.",
        "We sold {n6} units last year.",
        "The stadium holds {n2} 000 people.",
        "Temperatures reach {n2}-{n2b} degrees in July.",
        "The bill was {n3},{n3b:03d} yen.",
    ],
}


def fill(template: str) -> str:
    values = {f"n{k}": rng.randint(10 ** (k - 1), 10**k - 1) for k in range(1, 11)}
    values.update({f"n{k}b": rng.randint(10 ** (k - 1), 10**k - 1) for k in range(1, 8)})
    values.update({"n1c": rng.randint(1, 9), "n1d": rng.randint(1, 9), "n2b": rng.randint(10, 99)})
    values.update(
        {
            "d4": rng.randint(1950, 2030),
            "d4b": rng.randint(1950, 2030),
            "m": rng.randint(1, 12),
            "d": rng.randint(1, 28),
            "d2": rng.randint(1, 28),
            "h": rng.randint(0, 23),
            "h2": rng.randint(0, 23),
            "mi": rng.randint(0, 59),
            "s": rng.randint(0, 59),
            "n7b": rng.randint(10**6, 10**7 - 1),
        }
    )
    hexes = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    values.update(
        {
            "h7": hexes[:7],
            "h32": hexes[:32],
            "h40": hexes[:40],
            "h64": hexes,
            "uuid": f"{hexes[:8]}-{hexes[8:12]}-4{hexes[13:16]}-a{hexes[17:20]}-{hexes[20:32]}",
        }
    )
    return template.format(**values)


for group, templates in NEGATIVE_TEMPLATES.items():
    for round_ in range(3 if len(templates) > 8 else 4):
        for template in templates:
            if round_ and "{" not in template:
                continue  # a fixed sentence once
            lines.append(
                {
                    "id": len(lines),
                    "text": fill(template),
                    "spans": [],
                    "group": f"negative/{group}",
                }
            )

OUT.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
positives = sum(1 for line in lines if line["spans"])
print(f"{OUT}: {positives} positives, {len(lines) - positives} ordinary sentences")
