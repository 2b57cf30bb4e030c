"""Training the learned parts of the reader from labelled photos: ``markscan train``.

labelled photos (a folder with ``labels.csv``, or the app's confirmed scans)
-> ``harvest``: each photo read once with every view and nothing chosen; the
glyphs of its clear lines cut into windows, the windows the glyph reader would
scan, the numbers that could be its serial -> ``glyph_fit``: the glyph reader's
head -> ``serial_fit``: the serial model -> ``crossval``: every photo read again
by models fitted without its part family, the confidence model fitted on those
readings, the figures per family -> the three files of ``inference.models``.
"""


class TrainingError(RuntimeError):
    """Training cannot run here; the message says what to do."""
