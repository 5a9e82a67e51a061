"""SMS 1708 over SMPP 3.4: the adapter and its transport, one module per concern.

* :mod:`~adapters.sms.smpp.adapter`: ``SmppAdapter`` (receive path, multipart, receipts, send);
* :mod:`~adapters.sms.smpp.bind`: one configured bind (reconnect, keep-alive, throttled submit);
* :mod:`~adapters.sms.smpp.session`: one bound SMPP session on the wire;
* :mod:`~adapters.sms.smpp.status`: ``command_status`` codes in words, bind errors;
* :mod:`~adapters.sms.smpp.metrics`: Prometheus metrics of the transport.
"""

from adapters.sms.smpp.adapter import SmppAdapter

__all__ = ["SmppAdapter"]
