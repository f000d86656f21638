"""阅知确认单: the PDF acknowledgement record of a notice (who read what, and when).

Public API (used by the archive): :func:`circulation.ackrecord.renditions.current_record`,
:func:`~circulation.ackrecord.renditions.freeze_record`,
:func:`~circulation.ackrecord.renditions.verify_rendition` and the
:class:`~circulation.ackrecord.models.RecordRendition` model.
"""
