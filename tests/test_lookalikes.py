from inference.lookalikes import fold, skeleton, to_cyrillic


def test_fold_writes_cyrillic_lookalikes_as_latin():
    assert fold("АМ117.07.01.220") == "AM117.07.01.220"
    assert fold("анем") == "AHEM"
    assert fold("AM117") == fold("АМ117")


def test_skeleton_drops_separators_and_spaces():
    assert skeleton("АМ116.06.00.901-03") == "AM1160600901" + "03"
    assert skeleton("195-30-1285 2660") == "195301285" + "2660"


def test_to_cyrillic_converts_only_the_leading_letter_code():
    assert to_cyrillic("AHEM.492664.500-03.LP") == "АНЕМ.492664.500-03.LP"
    assert to_cyrillic("195-30-1285") == "195-30-1285"
