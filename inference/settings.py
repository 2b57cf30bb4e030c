"""Every threshold a reading is decided by, in one place.

Recognition reads these through ``THRESHOLDS``; nothing else in ``inference/``
holds a decision threshold of its own. The values were set on the tune side of
the dev photos (``inference.scoring.held_out``), never on the held-out side.
The confidence model's weights and its ``sure_from`` are data of their own
(``weights/``), fitted by ``markscan train``.
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

    # Serials (reading.py, confidence.py)
    rival_min_probability: float = 0.05  # another listed serial this likely (serial model) spoils corroboration
    listed_serial_bonus: float = 0.05  # a serial the table lists outweighs a small doubt about the article

    # Choices offered when a reading is not sure (choices.py)
    listed_serial_share: float = 0.93  # an article that lists serials carries a listed one (labelled photos: 90 of 97)
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
