"""A local HTTP server standing in for Whop: its published keys (JWKS), the v1 API the app calls
(access checks, experiences) and the OAuth endpoints (token exchange with PKCE, userinfo).

Shapes, and where they come from:
- JWKS: RFC 7517 key set with ES256 P-256 keys and a ``kid``, as whop-sdk 2.6.0
  ``lib/verify_user_token.py`` reads https://api.whop.com/.well-known/jwks.json.
- User tokens: ES256, ``iss`` "urn:whopcom:exp-proxy", ``aud`` the app id, ``sub`` the user id
  (whop-sdk ``lib/verify_user_token.py``; docs.whop.com developer/guides/authentication).
- ``GET /api/v1/users/{id}/access/{resource_id}`` -> ``{"access_level", "has_access"}``
  (whop-sdk ``users/raw_client.py`` check_access, ``types/access_level.py``:
  admin | customer | no_access).
- ``GET /api/v1/experiences/{id}`` -> Experience (whop-sdk ``types/experience.py``: id, name,
  is_public, created_at, app {id, name}, company {id, route, title}, products).
- ``POST /oauth/token`` (form: grant_type, code, redirect_uri, client_id, client_secret,
  code_verifier) and ``GET /oauth/userinfo`` -> ``{"sub": ...}``: docs.whop.com
  developer/guides/oauth (OAuth 2.1 + PKCE with OpenID Connect at https://api.whop.com/oauth/).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISSUER = "urn:whopcom:exp-proxy"
APP_ID = "app_yoppytest01"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class FakeWhop:
    def __init__(self) -> None:
        self.key = new_key()
        self.kid = "kid-1"
        self.access: dict[tuple[str, str], str] = {}
        self.experiences: dict[str, tuple[str, str]] = {}
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (PKCE challenge, user id)
        self.access_tokens: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                path = urlparse(self.path).path
                with fake.lock:
                    fake.requests.append(("GET", path, {k.lower(): v for k, v in self.headers.items()}))
                parts = path.strip("/").split("/")
                if path == "/.well-known/jwks.json":
                    return self._send(200, fake.jwks())
                if parts[:3] == ["api", "v1", "users"] and len(parts) == 6 and parts[4] == "access":
                    level = fake.access.get((parts[3], parts[5]), "no_access")
                    return self._send(200, {"access_level": level, "has_access": level != "no_access"})
                if parts[:3] == ["api", "v1", "experiences"] and len(parts) == 4:
                    found = fake.experiences.get(parts[3])
                    if found is None:
                        return self._send(404, {"error": {"type": "not_found", "message": "Experience not found"}})
                    return self._send(200, fake.experience_json(parts[3], *found))
                if path == "/oauth/userinfo":
                    token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    user = fake.access_tokens.get(token)
                    return self._send(200, {"sub": user}) if user else self._send(401, {"error": "invalid_token"})
                return self._send(404, {"error": {"type": "not_found"}})

            def do_POST(self) -> None:  # noqa: N802
                path = urlparse(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.requests.append(("POST", path, form))
                if path == "/oauth/token":
                    found = fake.codes.pop(form.get("code", ""), None)
                    verifier = form.get("code_verifier", "")
                    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    if found is None or found[0] != challenge or form.get("grant_type") != "authorization_code":
                        return self._send(400, {"error": "invalid_grant"})
                    token = f"at_{len(fake.access_tokens) + 1}"
                    fake.access_tokens[token] = found[1]
                    return self._send(200, {"access_token": token, "refresh_token": f"rt_{token}",
                                            "token_type": "Bearer", "expires_in": 3600})  # fmt: skip
                return self._send(404, {"error": {"type": "not_found"}})

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def jwks(self) -> dict:
        public = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    @staticmethod
    def experience_json(experience_id: str, company_id: str, title: str) -> dict:
        return {
            "id": experience_id, "name": "Ask the creator", "is_public": False,
            "created_at": "2026-11-01T10:00:00Z", "order": None, "image": None,
            "app": {"id": APP_ID, "name": "Yoppy", "icon": None},
            "company": {"id": company_id, "route": title.lower().replace(" ", "-"), "title": title},
            "products": [],
        }  # fmt: skip

    def token(self, user_id: str, *, aud: str = APP_ID, iss: str = ISSUER, expires_in: int = 300,
              key: ec.EllipticCurvePrivateKey | None = None, kid: str | None = None, **claims: Any) -> str:  # fmt: skip
        now = int(time.time())
        payload = {"sub": user_id, "aud": aud, "iss": iss, "iat": now, "exp": now + expires_in, **claims}
        return jwt.encode(payload, key or self.key, algorithm="ES256", headers={"kid": kid or self.kid})

    def api_calls(self, prefix: str) -> list[str]:
        with self.lock:
            return [path for _method, path, _ in self.requests if path.startswith(prefix)]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
