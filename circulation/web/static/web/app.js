// The web pages' own script (served as a file: the Content-Security-Policy allows no inline
// script). htmx does the requests; this file only adds what htmx does not.
"use strict";
