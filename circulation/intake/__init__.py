"""Intake (issue 14): registration fields from the files offices receive — TXT, DOCX, PDF, OFD.

``extraction`` is the entry point (:func:`extract_file`, :func:`extract_text`); ``readers``
turns bytes into lines (ZIP safety, encodings, text PDFs, OFD via ofdkit), ``layout`` reads the
fields by the GB/T 9704 layout, ``dates`` the 成文日期, ``importing`` registers files through
the core's services (``manage.py import_notice``). Nothing here writes unless told to register.
"""
