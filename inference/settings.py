"""Every threshold a reading is decided by, in one place.

Recognition reads these through ``THRESHOLDS``; no other module holds a number
that decides a reading. Two kinds of number stay beside their code, because the
trained models are defined by them: what a number looks like (``roles.py``:
where a word splits, a heat number's length) and the glyph reader's windows
(``lone_digits.py``). The confidence model's weights and its ``sure_from`` are
data of their own (``weights/``), fitted by ``markscan train``; the choices'
shares are counts over the labelled photos (``choices.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    # Lines (pipeline.py)
    min_line_score: float = 0.3  # lines the recognizer is less sure of are noise on steel
    sure_line_score: float = 0.9  # a crop read this well is the right way up: not also read turned half round
    sure_serial_support: float = 0.8  # a serial the table does not list is taken once readings agree this much
    settled_after: int = 3  # views in a row that changed nothing before the search stops
    stop_deciding_char: float = 0.68  # no further view once every character that picks the row was read this well
    glyph_floor: float = 0.5  # the glyph reader's digits count from this probability (lone_digits.py)
    glyph_candidates: int = 3  # numbers stamped alone the glyph reader offers the serial model, at most

    # Articles (reading.py, catalog.py)
    article_min_similarity: float = 0.72  # below this OCR-aware similarity a reading is no catalog article
    confident_similarity: float = 0.92  # from here on, with a listed serial, no further view is needed
    glued_penalty: float = 0.04  # per character of text glued to either end of an article
    glued_max: float = 0.12
    join_penalty: float = 0.03  # joining two line fragments into one article costs this much similarity
    fragment_max: int = 10  # a line this short may be a piece of an article split or bent
    join_max: int = 26  # longer than any article and its serial: not worth joining
    serial_only_max_articles: int = 3  # a serial read alone names an article only if so few list it
    near_article_margin: float = 0.1  # an article read this far below the floor is kept as a weak reading of it
    unlisted_serial_factor: float = 0.9  # the confidence of an article read with a serial the table does not list
    serial_only_base: float = 0.45  # the confidence of an article named by its serial alone ...
    serial_only_fragment: float = 0.4  # ... and what fragments of it read nearby add
    fragment_max_distance: float = 0.25  # a fragment of the article: at most this share of its characters misread
    raw_reading_factor: float = 0.3  # the confidence of a line taken as read, for a part the catalog lacks
    same_place: float = 0.5  # two readings overlapping this much are of the same spot
    apart: float = 0.3  # a line overlapping another this much is part of it, not a line of its own
    same_number_place: float = 0.2  # readings of a number overlapping this much are of the same number
    serial_alternatives: int = 3  # the other numbers a serial choice keeps, for the choices a person is offered

    # Serials (reading.py, confidence.py)
    rival_min_probability: float = 0.05  # another listed serial this likely (serial model) spoils corroboration
    listed_serial_bonus: float = 0.05  # a serial the table lists outweighs a small doubt about the article

    # Choices offered when a reading is not sure (choices.py)
    listed_serial_share: float = 0.93  # an article that lists serials carries a listed one (labelled photos: 90 of 97)
    listed_no_serial_share: float = 0.01  # an article that lists serials carries none (labelled photos: 1 of 97)
    no_serial_share: float = 0.43  # an article that lists none carries no serial (labelled photos: 6 of 14)
    slip: float = 0.15  # one character misread beyond the doubt the recognizer expressed
    few_serials: int = 8  # an article listing this few serials offers each of them
    other_candidate: float = 0.1  # another catalog candidate as likely as the best reading, against the article read

    # The visual memory (reading.py, memory.py)
    memory_weight: float = 0.2  # its support adds at most this to a rank: breaks ties, never outweighs a reading
    remembered_confidence: float = 0.25
    memory_neighbours: int = 10
    memory_min_similarity: float = 0.5  # below this a neighbour does not vote
    memory_min_voters: int = 2  # an article needs this many agreeing neighbours

    # Several photos of one part (fusion.py)
    agreeing_weight: float = 0.5  # an agreeing photo adds this share of its evidence (photos share light and wear)
    disagreeing_cost: float = 1.0  # a photo whose best reading is another marking costs at least this (log-odds)

    # OCR-aware edit distance (editdistance.py)
    substitute_cost: float = 1.0
    confused_cost: float = 0.35  # characters the OCR confuses (0/O, 8/В, ...)
    insert_delete_cost: float = 0.8


THRESHOLDS = Thresholds()
