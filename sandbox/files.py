"""Files kept by the sandbox: uploads from the bot and from test users, addressable by file_id."""

from __future__ import annotations

import base64
import mimetypes
import secrets
import struct
from dataclasses import dataclass

# A 1x1 PNG: what a test user's "photo" or "sticker" contains unless the test gives bytes.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

# Prefixes like Telegram's, so a file_id looks the part in logs.
_PREFIXES = {"documents": "BQACAgIAAxk", "photos": "AgACAgIAAxk", "stickers": "CAACAgIAAxk"}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str

    def api(self) -> dict:
        """The File object of getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._count = 0  # survives clear(): an old file_id must never name a new file

    def add(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        self._count += 1
        guessed = mimetypes.guess_type(file_name or "")[0]
        mime_type = mime_type or guessed or "application/octet-stream"
        extension = mimetypes.guess_extension(mime_type) or ".bin"
        stored = StoredFile(
            file_id=f"{_PREFIXES[kind]}{self._count:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AQAD{self._count:06d}",
            file_path=f"{kind}/file_{self._count}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def clear(self) -> None:
        self.by_id.clear()
        self.by_path.clear()


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image; None if it is none of these."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        # Walk the JPEG segments to the first start-of-frame marker, which holds the size.
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None
