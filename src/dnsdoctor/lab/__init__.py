"""The lab: reproduce DNS failures for real on loopback in a private network namespace.

See `dnsdoctor.lab.runner` (run_scenario), `dnsdoctor.lab.scenarios`, `dnsdoctor.lab.server`
and `dnsdoctor.lab.build`.
"""
