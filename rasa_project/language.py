"""Which language a message is in: zh, id or en. Replies follow the user.

Deterministic and cheap: any CJK character means Chinese (codes like BOM-2050 are Latin in
every language); otherwise Indonesian and English function words are counted.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z]+")

ID_WORDS = frozenset(
    ["buat", "buatkan", "bikin", "pesanan", "produksi", "jumlah", "selesai", "tanggal", "tipe", "bengkel", "ubah", "jadi", "menjadi", "ganti", "tolong", "mohon", "minta", "berapa", "stok", "sisa", "bagaimana", "progres", "kemajuan", "sudah", "belum", "berapa", "apa", "ya", "tidak", "batal", "batalkan", "setuju", "setujui", "saya", "kami", "kita", "yang", "dan", "untuk", "dengan", "dari", "pada", "hari", "besok", "lusa", "minggu", "depan", "bulan", "ini", "itu", "lapor", "laporan", "cacat", "bagus", "rusak", "jadi", "bisa", "ada", "tolak", "terima", "kasih", "halo", "pagi", "siang", "sore", "malam", "selamat", "bantuan", "tolonglah", "baik", "oke", "iya", "gak", "nggak", "enggak", "jangan", "lagi", "hingga", "sampai", "sebelum", "paling", "lambat", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "lini", "perakitan", "langsung", "gudang", "masuk", "standar", "biasa", "order", "pesan", "kapan", "dong", "sih", "udah", "mau", "pengen", "perlu", "cek", "lihat", "status", "berapakah", "kah"]
)
EN_WORDS = frozenset(
    ["create", "make", "new", "production", "order", "quantity", "qty", "finish", "date", "type", "shop", "change", "to", "set", "the", "a", "an", "of", "for", "please", "pls", "how", "what", "is", "are", "progress", "status", "stock", "left", "much", "many", "yes", "no", "cancel", "approve", "reject", "by", "due", "next", "this", "week", "tomorrow", "today", "in", "days", "done", "scrap", "good", "report", "reported", "help", "hi", "hello", "thanks", "thank", "you", "ok", "okay", "sure", "confirm", "deny", "not", "standard", "direct", "line", "assembly", "injection", "moulding", "molding", "before", "on", "at", "with", "and", "or", "can", "could", "would", "i", "we", "want", "need", "show", "check", "update", "increase", "decrease", "from"]
)


def detect(text: str, default: str = "en") -> str:
    if not text:
        return default
    if _CJK.search(text):
        return "zh"
    words = _WORD.findall(text.lower())
    id_score = sum(w in ID_WORDS for w in words)
    en_score = sum(w in EN_WORDS for w in words)
    if id_score > en_score:
        return "id"
    if en_score > id_score:
        return "en"
    return default
