"""Transport-independent live core: envelope, brokers (memory, Redis), hub, presence.

See ARCHITECTURE.md ("Delivery semantics") for the guarantees these modules keep.
"""
