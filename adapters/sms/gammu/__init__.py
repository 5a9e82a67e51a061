"""The ``sms.gammu`` adapter: SMS 1708 through GSM modems driven by libgammu.

``adapter`` (the registry's adapter, one worker per modem), ``worker`` (one modem's thread,
inbox polling, receipts, sending), ``device`` (one libgammu state machine), ``inbox``
(messages read from a modem -> fragments and receipts), ``errors`` (libgammu errors
classified, modem metrics), ``inject`` (test SMS into libgammu's dummy phone, for the CLI),
``paths`` (dummy modem folders resolved against the config file's folder).
The SMS conversation (keywords, replies) is shared with SMPP and lives in ``adapters.sms``.
"""
