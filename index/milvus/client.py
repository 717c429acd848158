"""The connection to a Milvus server, and the one place its failures become our exceptions.

    MilvusTarget(uri, collection, token)   where the index lives; the token never leaves this object
    connect(target) -> Connection           a pymilvus MilvusClient behind `call`

Every request goes through `Connection.call`: a server that cannot be reached, or that fails a request,
raises index.errors.BackendUnavailable with the URI (credentials removed) and the server's message.
pymilvus retries an unreachable server for minutes by default; here a question gives up after
`retries` quick attempts, so the web app can answer 503 at once and recover when Milvus does.
"""

from __future__ import annotations

import re
import socket
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from index.errors import BackendMissing, BackendUnavailable, IndexStoreError

INSTALL_HINT = "pip install 'pmo-help-assistant[milvus]' (pymilvus, and milvus-lite for a local server)"
NOT_FOUND = re.compile(r"collection not found|can't find collection|not exist", re.IGNORECASE)


@dataclass(frozen=True)
class MilvusTarget:
    """Where the index lives. `collection` names the family: its versions are `<collection>_v…`, the
    pointer and manifests live in `<collection>_meta`. `token` comes from the environment only."""
    uri: str
    collection: str = "help_centre"
    token: str = field(default="", repr=False)
    timeout: float = 10.0  # seconds a request may take (a build's large inserts get more)
    index_type: str = "AUTOINDEX"  # the dense index: AUTOINDEX, FLAT, IVF_FLAT, or HNSW (Milvus standalone/cluster)

    @property
    def shown_uri(self) -> str:
        """The URI with any user:password@ removed: what messages and reports show."""
        return re.sub(r"//[^/@]*@", "//", self.uri)


class Connection:
    """One MilvusClient and the target it talks to."""

    def __init__(self, client, target: MilvusTarget):
        self.client = client
        self.target = target

    def call(self, method: str, *args, retries: int = 2, during: str = "a request", **kwargs):
        """client.<method>(*args, **kwargs) with a deadline; failures raise BackendUnavailable, except a
        missing collection, which raises MissingCollection."""
        import grpc
        from pymilvus.exceptions import MilvusException

        kwargs.setdefault("timeout", float(self.target.timeout))  # a float: pymilvus then counts retries
        try:
            return getattr(self.client, method)(*args, retry_times=retries, **kwargs)
        except MilvusException as exc:
            message = str(getattr(exc, "message", "") or exc)
            if NOT_FOUND.search(message):
                raise MissingCollection(message) from exc
            raise BackendUnavailable(self.target.shown_uri, _short(message), during) from exc
        except grpc.RpcError as exc:  # some calls (a deadline passed) raise gRPC's own error
            reason = f"{exc.code().name}: {exc.details()}" if hasattr(exc, "code") else str(exc)
            raise BackendUnavailable(self.target.shown_uri, _short(reason), during) from exc

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 — closing a dead connection must not hide the real error
            pass


class MissingCollection(IndexStoreError):
    """A collection named by the pointer or a manifest is not on the server."""


def connect(target: MilvusTarget, timeout: float | None = None) -> Connection:
    """A connection to the target's server; BackendUnavailable when it does not answer in time."""
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError as exc:
        raise BackendMissing(f"index_backend = \"milvus\" needs pymilvus — {INSTALL_HINT}.") from exc
    refused = _refused(target.uri)
    if refused:  # nothing listens there: say so now, not after the client's retries run out
        raise BackendUnavailable(target.shown_uri, refused, "the connection")
    try:
        client = MilvusClient(uri=target.uri, token=target.token or "", timeout=timeout or target.timeout,
                              alias=f"assistant-{uuid.uuid4().hex}")  # its own channel: closing it ends no other
    except MilvusException as exc:
        raise BackendUnavailable(target.shown_uri, _short(str(getattr(exc, "message", "") or exc)),
                                 "the connection") from exc
    return Connection(client, target)


def _refused(uri: str) -> str | None:
    """Why nothing accepts a connection at an http(s) URI with an explicit port (refused, or no such
    host); None when something listens, or the URI is of another kind (pymilvus then decides)."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "tcp") or not parts.hostname or port is None:
        return None
    try:
        socket.create_connection((parts.hostname, port), timeout=2.0).close()
    except (ConnectionRefusedError, socket.gaierror) as exc:
        return f"nothing accepts connections there ({exc.strerror or exc})"
    except OSError:  # a timeout or an unreachable network: leave it to the client and its deadline
        return None
    return None


def _short(message: str) -> str:
    """The server's message without gRPC's debug dump."""
    message = message.split("debug_error_string")[0]
    return " ".join(message.split())[:300].rstrip(" ,;:")
