"""The demo's world, outside the product: simulated sites and grid operator, and local fakes of
the outside servers reservewatch reads (mining pools, Esplora, bitcoind, an MQTT broker), each
in the documented format of the real one, refusals included.

Used by ``reservewatch demo`` and by the tests; the product (:mod:`collector`, :mod:`remittance`)
never imports it, except the ``demo`` command, which runs it.
"""
