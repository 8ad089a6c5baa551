"""How passwords are stored: Argon2id at the configuration OWASP's Password Storage Cheat Sheet recommends.

Django's default, PBKDF2-SHA256 at 1 000 000 iterations, spends about 0.3 s of CPU on every log-in; on the
2-core machine the platform is sized for, fifty people logging in within a few seconds held both cores for ten
seconds (bench/README.md, the load test). Argon2id with 19 MiB of memory, 2 passes and 1 lane (OWASP's first
listed configuration) costs about 30 ms of CPU, and it is memory-hard: an attacker's GPU pays for memory on every
guess, which PBKDF2 does not make it do. One lane keeps a log-in on one core, so a burst of log-ins does not take
every core at once (Django's own Argon2 parameters use 100 MiB and 8 lanes).

Passwords stored by an earlier version (PBKDF2) are still checked, and Django stores them again with this hasher
at the person's next log-in (the algorithm name stays "argon2", so a hash with other parameters is upgraded too).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1."""

    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
