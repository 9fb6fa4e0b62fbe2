# conftest.py - pytest's side of the end-to-end tests: fixtures for the
# monitor, port holders (squatters too), requesters, network namespaces
# and container runtimes (harness.py's and runtimes.py's classes, closed
# when the test ends, the last made first, as nested with statements
# would close them); the root check (a test that
# needs root is skipped, saying so, when not run as root; the few that do
# not are marked unprivileged); and the test's name for BW_E2E_CAPTURE's
# files.  The child programs the tests run are files in children/.
#
#   python3 -m pytest tests/e2e                   every test (as root)
#   python3 -m pytest tests/e2e -k trust_         by name
#   python3 -m pytest tests/e2e --junitxml=FILE   with a JUnit XML report
import contextlib
import os

import pytest

import harness
import runtimes

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_PREFIX = "test_"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "unprivileged: runs without root (every other test is skipped, saying so, "
        "when not root)")


def pytest_collection_modifyitems(config, items):
    """Not root: skip the tests that need it.  (The hook gets the items of
    every suite in the session; those of this directory are ours.)"""
    if os.geteuid() == 0:
        return
    needs_root = pytest.mark.skip(reason="needs root")
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker("unprivileged") is None:
            item.add_marker(needs_root)


@pytest.fixture(autouse=True)
def capture_name(request):
    """BW_E2E_CAPTURE names a monitor's capture file after its test: the
    test's name without "test_" (tcp4_conflict[auto].1.out)."""
    name = request.node.name
    harness.CURRENT_TEST = name[len(TEST_PREFIX):] if name.startswith(TEST_PREFIX) else name
    yield
    harness.CURRENT_TEST = None


@pytest.fixture
def closing():
    """What the fixtures below made, closed at the end of the test in the
    reverse order of making."""
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.fixture
def held_port(closing):
    """held_port(family="ipv4", proto="tcp", addr="127.0.0.1"): a free port
    this process holds (harness.hold: a socket bound to it, listening for
    TCP) until the end of the test."""
    def take(family="ipv4", proto="tcp", addr="127.0.0.1"):
        sock, port = harness.hold(family, proto, addr)
        closing.enter_context(sock)
        return port
    return take


@pytest.fixture
def monitor(closing):
    """monitor(*args, json_output=True, env=None): a bindwatch monitor with
    these arguments, ready (harness.start_bindwatch); stopped at the end of
    the test unless the test stopped it (bw.stop()).  One monitor runs at a
    time: a test that starts another stops the first, or runs them in with
    blocks of their own."""
    def start(*args, **kwargs):
        return closing.enter_context(harness.start_bindwatch(*args, **kwargs))
    return start


@pytest.fixture
def make_requester(closing):
    """make_requester(comm=None, prefix=(), args=()): a harness.Requester."""
    def start(*args, **kwargs):
        return closing.enter_context(harness.Requester(*args, **kwargs))
    return start


@pytest.fixture
def make_holder(closing):
    """make_holder(*sockets, comm=None, uid=None, fork=False, exit=False,
    prefix=(), args=()): a harness.Holder holding sockets (harness.socket_spec)."""
    def start(*sockets, **kwargs):
        return closing.enter_context(harness.Holder(*sockets, **kwargs))
    return start


@pytest.fixture
def make_squatter(closing):
    """make_squatter(mode, proto="tcp", port=0, hops=1, prefix=()): a
    harness.Squatter, a holder no descriptor shows (children/squatter.c)."""
    def start(*args, **kwargs):
        return closing.enter_context(harness.Squatter(*args, **kwargs))
    return start


@pytest.fixture
def netns(closing):
    """A new network namespace (harness.Netns), deleted after everything
    the test started in it has been closed."""
    return closing.enter_context(harness.Netns())


@pytest.fixture
def podman(closing):
    """The host's podman with a busybox image of the test's (runtimes.Podman);
    its containers and image removed at the end of the test."""
    return closing.enter_context(runtimes.Podman())


@pytest.fixture
def dockerd(closing):
    """A dockerd of the test's own (runtimes.Dockerd), stopped and its
    directories removed at the end of the test."""
    return closing.enter_context(runtimes.Dockerd())


@pytest.fixture
def containerd(closing):
    """A containerd of the test's own (runtimes.Containerd), its tasks and
    itself stopped and its directories removed at the end of the test."""
    return closing.enter_context(runtimes.Containerd())
