"""End-to-end tier: the workflows themselves, run by `act` on this host against a fake GitHub."""
