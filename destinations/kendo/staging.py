"""Staging recordings in our own object store and handing Kendo a time-limited signed URL to the copy.

Any bucket URL fsspec understands works (`s3://bucket/prefix`, `gs://...`, `az://...`, `file:///dir`).

- `stage(chunks, name)` streams a download through SHA-256 into a temporary file (bounded memory), then
  uploads it, unless the store already holds the object with the same size and hash: each object has a
  sidecar `<object>.sha256.json` (`{"sha256": ..., "size": ...}`), written after the upload, so a crash
  between the two only costs one upload more next time. Sidecars work on every fsspec backend, unlike
  object metadata.
- `sign(path)` asks the store for a signed URL (`fs.sign(path, expiration=ttl)`: S3 presigned URLs, GCS
  signed URLs, Azure SAS), and returns it with its expiry.
- `file://` has no signing. There, `Stager` serves the staging directory on 127.0.0.1 through
  `LocalSignedServer`, with URLs carrying an expiry and an HMAC signature (key random per process, so
  URLs die with the process). That is for tests and the demo: only a Kendo on this machine (the emulator)
  can fetch such URLs.

Signatures are secrets: they are never logged here, and botocore's debug log line that prints the
signature it computed is masked (`mask_botocore_signatures`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import mimetypes
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import fsspec

from .errors import KendoConfigError

logger = logging.getLogger("destinations.kendo")

SIDECAR_SUFFIX = ".sha256.json"
S3_MAX_URL_TTL = 604800
_CHUNK = 1 << 16


class _MaskSignature(logging.Filter):
    """Drops the value from botocore.auth's `Signature:\\n<hex>` debug record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Signature:"):
            record.msg, record.args = "Signature: ***", ()
        return True


_MASK_INSTALLED = False
_MASK_LOCK = threading.Lock()


def mask_botocore_signatures() -> None:
    """Masks the signatures botocore logs at DEBUG (presigned URLs would otherwise leak into logs)."""
    global _MASK_INSTALLED
    with _MASK_LOCK:
        if not _MASK_INSTALLED:
            logging.getLogger("botocore.auth").addFilter(_MaskSignature())
            _MASK_INSTALLED = True


@dataclass(frozen=True)
class StagedObject:
    """A staged copy: store path, content hash and size, and whether this call uploaded it."""

    path: str
    sha256: str
    size: int
    uploaded: bool


def sniff_audio_type(head: bytes) -> tuple[str, str]:
    """(extension, content type) of a recording from its first bytes (ISO-BMFF `ftyp` brand)."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"M4A") or brand.startswith(b"M4B"):
            return ".m4a", "audio/mp4"
        return ".mp4", "video/mp4"
    return ".bin", "application/octet-stream"


class LocalSignedServer:
    """Serves a directory on 127.0.0.1 to holders of an unexpired HMAC-signed URL (tests / demo only)."""

    def __init__(self, root: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        self._key = secrets.token_bytes(32)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None  # request lines carry signatures: never log them

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="kendo-stage-http", daemon=True
        )
        self._thread.start()

    def _signature(self, rel: str, expires: int) -> str:
        return hmac.new(self._key, f"{rel}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, local_path: str, expires_at: datetime) -> str:
        rel = Path(local_path).resolve().relative_to(self.root).as_posix()
        expires = int(expires_at.timestamp())
        return f"{self.base_url}/{quote(rel)}?expires={expires}&signature={self._signature(rel, expires)}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        rel = unquote(parts.path.lstrip("/"))
        query = parse_qs(parts.query)
        try:
            expires = int(query.get("expires", ["0"])[0])
        except ValueError:
            expires = 0
        given = query.get("signature", [""])[0]
        target = (self.root / rel).resolve()
        ok = (
            expires > time.time()
            and hmac.compare_digest(given, self._signature(rel, expires))
            and target.is_relative_to(self.root)
            and target.is_file()
        )
        if not ok:
            request.send_response(403)
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", "9")
            request.end_headers()
            request.wfile.write(b"Forbidden")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        request.send_response(200)
        request.send_header("Content-Type", ctype)
        request.send_header("Content-Length", str(target.stat().st_size))
        request.end_headers()
        with open(target, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                request.wfile.write(chunk)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class Stager:
    """Stages files under `bucket_url` and signs URLs to them.

    Args:
        bucket_url: fsspec URL of the staging bucket / directory (with an optional key prefix).
        url_ttl: seconds a signed URL stays valid.
        storage_options: fsspec options (e.g. S3 `key`, `secret`, `client_kwargs={"endpoint_url": ...}`).
        tmp_dir: where downloads are spooled before the upload (default: the system temp dir).
        clock: current time (UTC), for tests.
    """

    def __init__(
        self,
        bucket_url: str,
        *,
        url_ttl: int,
        storage_options: dict[str, Any] | None = None,
        tmp_dir: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not bucket_url:
            raise KendoConfigError("stage mode needs destination.kendo.stage_bucket_url")
        if url_ttl <= 0:
            raise KendoConfigError("destination.kendo.stage_url_ttl must be a positive number of seconds")
        self.bucket_url = bucket_url.rstrip("/")
        self.url_ttl = int(url_ttl)
        self.tmp_dir = tmp_dir
        self._clock = clock or (lambda: datetime.now(UTC))
        options = dict(storage_options or {})
        if self.bucket_url.startswith(("s3://", "s3a://")):
            # SigV4 presigned URLs (X-Amz-Signature, at most 7 days); botocore may otherwise pick SigV2
            config = dict(options.get("config_kwargs") or {})
            config.setdefault("signature_version", "s3v4")
            options["config_kwargs"] = config
            if self.url_ttl > S3_MAX_URL_TTL:
                raise KendoConfigError(
                    f"destination.kendo.stage_url_ttl is at most {S3_MAX_URL_TTL} s on S3 (SigV4 limit)"
                )
        fs, root = fsspec.core.url_to_fs(self.bucket_url, **options)
        self.fs: Any = fs
        self.root = root.rstrip("/")
        self.protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        self.uploads = 0
        self.unchanged = 0
        self._lock = threading.Lock()
        self._local_server: LocalSignedServer | None = None
        if self.protocol in ("s3", "s3a"):
            mask_botocore_signatures()
        elif self.protocol in ("file", "local"):
            self.fs.makedirs(self.root, exist_ok=True)

    def __repr__(self) -> str:
        return f"Stager({self.protocol}://…, url_ttl={self.url_ttl})"

    def object_path(self, name: str) -> str:
        return f"{self.root}/{name.lstrip('/')}"

    def _sidecar(self, path: str) -> dict[str, Any] | None:
        try:
            with self.fs.open(path + SIDECAR_SUFFIX, "rb") as fh:
                data = json.loads(fh.read())
        except (FileNotFoundError, ValueError, OSError):
            return None
        return data if isinstance(data, dict) else None

    def _present(self, path: str, sha256: str, size: int) -> bool:
        side = self._sidecar(path)
        if not side or side.get("sha256") != sha256 or side.get("size") != size:
            return False
        try:
            info = self.fs.info(path)
        except (FileNotFoundError, OSError):
            return False
        return int(info.get("size") or -1) == size

    def stage(self, chunks: Iterable[bytes], name: str) -> StagedObject:
        """Spools `chunks` to a temp file through SHA-256, then uploads it as `<name><ext>` unless the
        same content (size and hash) is there already. The extension comes from the file's first bytes."""
        fd, tmp = tempfile.mkstemp(prefix="kendo-stage-", dir=self.tmp_dir)
        try:
            digest = hashlib.sha256()
            size = 0
            head = b""
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if len(head) < 16:
                        head += chunk[:16]
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            ext, ctype = sniff_audio_type(head)
            path = self.object_path(name + ext)
            sha = digest.hexdigest()
            if self._present(path, sha, size):
                with self._lock:
                    self.unchanged += 1
                logger.debug("staged copy of %s is up to date (%d bytes)", name, size)
                return StagedObject(path, sha, size, uploaded=False)
            parent = path.rsplit("/", 1)[0]
            if self.protocol in ("file", "local"):
                self.fs.makedirs(parent, exist_ok=True)
            extra = {"ContentType": ctype} if self.protocol in ("s3", "s3a") else {}
            self.fs.put_file(tmp, path, **extra)
            with self.fs.open(path + SIDECAR_SUFFIX, "wb") as fh:
                fh.write(json.dumps({"sha256": sha, "size": size}).encode())
            with self._lock:
                self.uploads += 1
            logger.debug("staged %s (%d bytes)", name, size)
            return StagedObject(path, sha, size, uploaded=True)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass

    def sign(self, path: str) -> tuple[str, datetime]:
        """A signed URL to a staged object and when it expires."""
        expires_at = self._clock() + timedelta(seconds=self.url_ttl)
        if self.protocol in ("file", "local"):
            return self._local().sign(path, expires_at), expires_at
        try:
            url = self.fs.sign(path, expiration=self.url_ttl)
        except NotImplementedError:
            raise KendoConfigError(
                f"the {self.protocol}:// store cannot sign URLs; use s3://, gs:// or az:// for"
                " destination.kendo.stage_bucket_url"
            ) from None
        return str(url), expires_at

    def _local(self) -> LocalSignedServer:
        with self._lock:
            if self._local_server is None:
                self._local_server = LocalSignedServer(self.root)
                logger.warning(
                    "stage_bucket_url is a local directory: serving it on %s with signed URLs that only"
                    " this machine can reach (tests / demo)",
                    self._local_server.base_url,
                )
            return self._local_server

    def close(self) -> None:
        with self._lock:
            server, self._local_server = self._local_server, None
        if server is not None:
            server.close()


def object_name(meeting_uuid: str, file_id: str | None, audio_url: str) -> str:
    """A stable store key for a call's recording: `<urlsafe b64 of the UUID>/<file id>`."""
    folder = base64.urlsafe_b64encode(meeting_uuid.encode()).decode().rstrip("=")
    if file_id:
        leaf = "".join(c if c.isalnum() or c in "-_." else "_" for c in file_id)
    else:
        leaf = hashlib.sha256(audio_url.split("?", 1)[0].encode()).hexdigest()[:24]
    return f"{folder}/{leaf}"
