"""Load generator and scaling probes that replay Microsoft Entra ID provisioning traffic.

``python -m benchmarks.run --help`` lists the options. The program starts every server it
measures on 127.0.0.1 and stops them itself; docs/benchmarks.md records the results.
"""
