"""What a ``K3Client`` needs to reach one K/3 Cloud tenant: plain values, passed in.

The client reads no settings of its own: the application's composition root builds a
``K3Config`` from its settings (``rasa_project.wiring.k3_config``) and hands it over, so this
package depends on nothing but httpx.
"""

from __future__ import annotations

from dataclasses import dataclass

from k3_client.protocol import K3Credentials


@dataclass(frozen=True)
class K3Config:
    base_url: str  # e.g. "https://k3.example.com/k3cloud/"
    acct_id: str
    user: str
    password: str = ""  # login_mode "password"
    app_id: str = ""  # login_mode "signed" / "appsecret"
    app_secret: str = ""
    lcid: int = 2052
    login_mode: str = "signed"  # signed | password | appsecret
    timeout_s: float = 10.0
    retries: int = 2  # extra attempts for reads; writes are looked up, never repeated blindly

    @property
    def credentials(self) -> K3Credentials:
        return K3Credentials(
            base_url=self.base_url,
            acct_id=self.acct_id,
            user=self.user,
            password=self.password,
            app_id=self.app_id,
            app_secret=self.app_secret,
            lcid=self.lcid,
            login_mode=self.login_mode,
        )

    @property
    def attempts(self) -> int:
        return max(1, int(self.retries) + 1)

    def __repr__(self) -> str:  # never print secrets
        return (
            f"K3Config(base_url={self.base_url!r}, acct_id={self.acct_id!r}, user={self.user!r}, "
            f"login_mode={self.login_mode!r}, timeout_s={self.timeout_s!r}, retries={self.retries!r})"
        )
