from tests.app.conftest import face_video, sandbox_cache

__all__ = ["face_video", "sandbox_cache"]
