"""Desktop monitors: running processes against a blocklist, virtual-machine and remote signals.

Focus, displays and paste come from the UI through `proctoring.session.ProctoringSession`
methods; what the operating system can tell without the UI lives here, behind small interfaces
(`ProcessLister`, `Probe`) with a Linux implementation, tested, and Windows/macOS ones where the
calls are known (each says so).
"""
