"""The channels a complaint can arrive through, in one table: the code stored on the ticket and its name (id, en).

The desk records which one (with the channel's own reference and when it was received: the clocks start then);
`web`, `api`, `open311` are set by those intakes, `import` and `demo` by the bulk loader and the seeder, `desk`
marks older desk entries whose channel was not recorded.
"""
from __future__ import annotations

CHANNEL_NAMES: dict[str, tuple[str, str]] = {
    "whatsapp": ("WhatsApp", "WhatsApp"),
    "instagram": ("Instagram", "Instagram"),
    "facebook": ("Facebook", "Facebook"),
    "x": ("X (Twitter)", "X (Twitter)"),
    "phone": ("Telepon", "Phone call"),
    "sms": ("SMS", "SMS"),
    "email": ("Surel", "E-mail"),
    "walk_in": ("Datang langsung", "Walk-in"),
    "lapor": ("SP4N-LAPOR!", "SP4N-LAPOR!"),
    "smart_city": ("Aplikasi smart city", "Smart-city app"),
    "web": ("Situs web", "Website"),
    "api": ("API", "API"),
    "open311": ("Open311", "Open311"),
    "import": ("Impor data", "Data import"),
    "demo": ("Demo", "Demo"),
    "desk": ("Meja aduan", "Complaint desk"),
}
CHANNELS = tuple(CHANNEL_NAMES)
# What a clerk (or a channel gateway) may record: the channels that reach the city outside this service.
DESK_CHANNELS = ("whatsapp", "instagram", "facebook", "x", "phone", "sms", "email", "walk_in", "lapor",
                 "smart_city")


def channel_name(code: str, lang: str = "id") -> str:
    """The channel's name in the reader's language (the code itself for one not in the table)."""
    names = CHANNEL_NAMES.get(code)
    return code if names is None else names[lang == "en"]
