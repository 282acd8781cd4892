"""Local fakes of provider APIs: real HTTP servers on 127.0.0.1 that the real provider clients talk to."""
