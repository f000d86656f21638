"""The archivist's pages under ``/archive/``: the queue of completed notices, the archive form
(保管期限, filing unit, the 档号 previewed), search, the record page (sealed PDF inline, verify,
history) and the 归档文件目录 (CSV/XLSX). Archivists and administrators of the organisation only
(``circulation.archive.access``); everyone else gets 404, as for another organisation's record."""
