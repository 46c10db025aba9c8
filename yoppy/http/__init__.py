"""HTTP plumbing shared by every app: client addresses, request-body limits, the
Content-Security-Policy and what error reports may show."""
