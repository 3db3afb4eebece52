import numpy as np
import pytest
import yaml

from conftest import REPO_ROOT
from ecgbeats.classes import class_names, label_symbols, require_all_classes, symbol_for_class
from ecgbeats.errors import InputError

CONFIG = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())


def test_shipped_class_maps():
    maps = CONFIG["class_maps"]
    assert class_names(maps["six"]) == ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    assert class_names(maps["ten"])[6:] == ["PFHB", "NEB", "AAPB", "VFB"]
    # AAMI EC57: escape beats e and j are N; Q (paced, fusion of paced, unclassifiable) is left
    # out (README "AAMI Q"): 8 DS1 beats outside the paced records.
    assert class_names(maps["aami"]) == ["N", "S", "V", "F"]
    assert maps["aami"]["e"] == "N" and maps["aami"]["j"] == "N"
    assert not {"/", "f", "Q"} & set(maps["aami"])


def test_label_symbols_keeps_only_task_symbols():
    symbols = np.array(["N", "V", "E", "/", "j"])
    in_task, labels, names = label_symbols(symbols, CONFIG["class_maps"]["six"])
    assert in_task.tolist() == [True, True, False, True, False]
    assert [names[i] for i in labels] == ["NOR", "PVC", "PB"]
    _, aami_labels, aami_names = label_symbols(symbols, CONFIG["class_maps"]["aami"])
    assert [aami_names[i] for i in aami_labels] == ["N", "V", "V", "N"]


def test_absent_class_is_named():
    with pytest.raises(InputError, match=r"task six: class\(es\) RBBB, PAC have no beats"):
        require_all_classes(
            np.array([0, 1, 2, 5]), class_names(CONFIG["class_maps"]["six"]), "six", "x"
        )


def test_symbol_for_class_is_first_symbol():
    assert symbol_for_class(CONFIG["class_maps"]["aami"]) == {
        "N": "N",
        "S": "A",
        "V": "V",
        "F": "F",
    }
