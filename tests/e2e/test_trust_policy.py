# test_trust_policy.py - end-to-end tests of what a hostile local user (nobody,
# through harness.NOBODY) cannot make a root bindwatch do: see README.md,
# "Threat model".
from harness import *  # noqa: F401,F403
