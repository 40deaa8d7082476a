"""What the DingTalk clients need: the app's credentials and where the OpenAPI is. Plain values.

The clients read no settings of their own: the application's composition root builds a
``DingTalkConfig`` from its settings (``rasa_project.wiring.dingtalk_config``) and passes it in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DingTalkConfig:
    app_key: str
    app_secret: str
    robot_code: str
    openapi_url: str = "https://api.dingtalk.com"
    mode: str = "http"  # http | stream: how card button presses come back to the robot

    def __repr__(self) -> str:  # never print the secret
        return (
            f"DingTalkConfig(app_key={self.app_key!r}, robot_code={self.robot_code!r}, "
            f"openapi_url={self.openapi_url!r}, mode={self.mode!r})"
        )
