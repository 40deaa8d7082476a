"""DingTalk OpenAPI client, message shapes and signatures: imports nothing from the core."""
