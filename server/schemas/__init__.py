"""The wire contract: pure Pydantic request and response bodies shared by the server and the SDK."""
