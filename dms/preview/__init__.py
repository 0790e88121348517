"""See the original: thumbnails, page images, word boxes for hits and HTML renders, made in worker processes
(at ingest, `dms.preview.task.at_ingest`; later, the web server's `dms.preview.queue`) and kept by the
original's SHA-256 under `$DMS_HOME/previews/` (`dms.preview.cache`). Requests only read what is there."""
