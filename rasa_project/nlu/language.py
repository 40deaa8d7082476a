"""Which language a message is in: zh, id or en. Replies follow the user.

Deterministic and cheap: any CJK character means Chinese (codes like BOM-2050 are Latin in
every language); otherwise Indonesian and English words are counted. Indonesian words are also
recognised through their affixes ("disetujui" -> setuju, "jumlahnya" -> jumlah). A tie with at
least one Indonesian word goes to Indonesian: Indonesian shop talk borrows English words
("order", "reject", "qty"); English speakers rarely borrow Indonesian ones.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z]+")

ID_WORDS = frozenset(
    ["buat", "buatkan", "bikin", "pesanan", "produksi", "jumlah", "selesai", "tanggal", "tipe", "bengkel", "ubah", "jadi", "menjadi", "ganti", "tolong", "mohon", "minta", "berapa", "stok", "sisa", "bagaimana", "progres", "kemajuan", "sudah", "belum", "berapa", "apa", "ya", "tidak", "batal", "batalkan", "setuju", "setujui", "saya", "kami", "kita", "yang", "dan", "untuk", "dengan", "dari", "pada", "hari", "besok", "lusa", "minggu", "depan", "bulan", "ini", "itu", "lapor", "laporan", "cacat", "bagus", "rusak", "jadi", "bisa", "ada", "tolak", "terima", "kasih", "halo", "pagi", "siang", "sore", "malam", "selamat", "bantuan", "tolonglah", "baik", "oke", "iya", "gak", "nggak", "enggak", "jangan", "lagi", "hingga", "sampai", "sebelum", "paling", "lambat", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "lini", "perakitan", "langsung", "gudang", "masuk", "standar", "biasa", "order", "pesan", "kapan", "dong", "sih", "udah", "mau", "pengen", "perlu", "cek", "lihat", "status", "berapakah", "kah"]
)
ID_WORDS = ID_WORDS | frozenset(
    ["gimana", "bagaimana", "gmn", "bgmn", "bukan", "betul", "benar", "salah", "lanjut", "lanjutkan", "cara", "pakai", "siapa", "punya", "masih", "gudang", "banyak", "sedikit", "semua", "aja", "saja", "nih", "tuh", "deh", "kok", "kan", "lah", "yuk", "ayo", "ga", "engga", "tdk", "udh", "blm", "sdh", "brp", "bkin", "buatin", "bantu", "dibuat", "jadwal", "kirim", "barang", "hasil", "sudahkah", "apakah", "kenapa", "mengapa", "dimana", "mana", "sini", "situ", "sana", "juga", "atau", "tapi", "tetapi", "karena", "kalau", "jika", "agar", "supaya", "oleh", "kepada", "bapak", "ibu", "pak", "bu", "mas", "mbak", "kak", "bos", "diubah", "kurangi", "tambah", "tambahkan", "naikkan", "turunkan", "mundur", "mundurkan", "maju", "pindah", "pindahkan", "unit", "buah", "biji", "sebanyak", "sejumlah", "tgl", "jam", "menit", "waktu", "sekarang", "nanti", "tadi", "kemarin", "semua"]
)
ID_PREFIXES = ("di", "meng", "meny", "mem", "men", "me", "ber", "ter", "per", "se", "ke")
ID_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "i")
EN_WORDS = frozenset(
    ["create", "make", "new", "production", "order", "quantity", "qty", "finish", "date", "type", "shop", "change", "to", "set", "the", "a", "an", "of", "for", "please", "pls", "how", "what", "is", "are", "progress", "status", "stock", "left", "much", "many", "yes", "no", "cancel", "approve", "reject", "by", "due", "next", "this", "week", "tomorrow", "today", "in", "days", "done", "scrap", "good", "report", "reported", "help", "hi", "hello", "thanks", "thank", "you", "ok", "okay", "sure", "confirm", "deny", "not", "standard", "direct", "line", "assembly", "injection", "moulding", "molding", "before", "on", "at", "with", "and", "or", "can", "could", "would", "i", "we", "want", "need", "show", "check", "update", "increase", "decrease", "from"]
)


EN_WORDS = EN_WORDS | frozenset(
    ["where", "when", "which", "who", "why", "do", "does", "did", "have", "has", "had", "be", "been", "was", "were", "it", "its", "that", "these", "those", "my", "our", "your", "me", "us", "you", "they", "them", "there", "here", "more", "less", "all", "any", "some", "only", "just", "also", "still", "yet", "now", "then", "get", "got", "give", "put", "let", "move", "push", "pull", "reduce", "raise", "add", "remove", "start", "stop", "changed", "units", "pieces", "pcs", "made", "produced", "finished", "output", "rejects", "rejected", "scrapped", "approved", "declined", "item", "inventory", "warehouse", "level", "enough", "remaining", "delivery", "deadline", "schedule", "plan", "open", "close", "yep", "yeah", "nope", "nah", "right", "wrong", "correct", "go", "ahead", "fine", "great", "morning", "evening", "afternoon", "hey"]
)


def _is_indonesian(word: str) -> bool:
    """Known Indonesian word, or one once its affixes are taken off."""
    if word in ID_WORDS:
        return True
    stems = {word, *(word[: -len(s)] for s in ID_SUFFIXES if word.endswith(s))}
    for stem in stems:
        if stem != word and len(stem) >= 4 and stem in ID_WORDS:
            return True
        for prefix in ID_PREFIXES:
            rest = stem[len(prefix):]
            if stem.startswith(prefix) and len(rest) >= 4 and rest in ID_WORDS:
                return True
    return False

# Words every chat language uses: "ok" or "OK" alone says nothing about the language.
UNIVERSAL_WORDS = frozenset(["ok", "okay", "okey", "pcs", "qty", "po", "mo", "wc", "smt", "bom", "pmc"])
# English words Indonesian shop talk borrows ("cek progress order", "reject 3", "done"): in a
# conversation that is in Indonesian they do not switch it to English.
LOAN_WORDS = frozenset(
    ["order", "status", "progress", "reject", "rejects", "approve", "approved", "cancel", "done", "stock", "scrap",
     "report", "update", "check", "line", "shop", "assembly", "injection", "standard", "direct", "output", "good",
     "urgent", "please", "pls", "sorry", "thanks", "thank", "you", "sure", "confirm", "plan", "schedule", "deadline",
     "item", "set", "units", "pieces", "delivery", "stop", "yes", "no", "hi", "hello", "final", "shift", "leader"]
)


def _is_indonesian_form(word: str) -> bool:
    """An Indonesian word, or any word with the Indonesian "-nya" ("progressnya", "ordernya")."""
    return _is_indonesian(word) or (word.endswith("nya") and len(word) > 5)


def _evidence(text: str, previous: str | None = None) -> str | None:
    """The language the words of ``text`` point to, or None when they point nowhere."""
    if not text:
        return None
    if _CJK.search(text):
        return "zh"
    words = [w for w in _WORD.findall(text.lower()) if w not in UNIVERSAL_WORDS]
    shared = {w for w in words if w in EN_WORDS and _is_indonesian(w)}  # "order", "status": no vote
    if previous == "id":
        shared |= {w for w in words if w in LOAN_WORDS}
    id_score = sum(_is_indonesian_form(w) for w in words if w not in shared)
    en_score = sum(w in EN_WORDS for w in words if w not in shared)
    if id_score > en_score or (id_score and id_score == en_score):
        return "id"
    if en_score > id_score:
        return "en"
    return None


def detect(text: str, default: str = "en") -> str:
    return _evidence(text) or default


def detect_or(text: str, previous: str | None, default: str = "en") -> str:
    """Like ``detect``, but a reply with no language signal ("300", "BOM-2050", "rumah motor")
    keeps the conversation's previous language instead of falling back to the default."""
    return _evidence(text, previous) or previous or default
