"""The records: organisation, units, people, notices, acknowledgements, attachments, audit."""
