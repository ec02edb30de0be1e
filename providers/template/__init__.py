"""The provider template: the smallest complete provider, for vendors to copy.

It is not registered with the host.  ``python -m variant_providers
new-provider NAME DIR`` copies it into a new project with ``acme`` replaced by
NAME; see ``docs/writing-a-provider.md``.

The made-up ACME accelerator exposes ``/sys/class/acme/acme<N>/generation``
(an integer).  A generation-3 device runs code built for generations 3, 2
and 1, so the provider reports ``acme :: generation :: g3, g2, g1`` — most
preferred first, exactly like the x86-64 level.
"""
