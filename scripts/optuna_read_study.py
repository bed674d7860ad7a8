"""Reads a bog study with Optuna (Debian's python3-optuna 3.1, psycopg2 for PostgreSQL): one line
per trial as Optuna sees it. Used by scripts/tune_distributed.sh when Optuna is installed; no
build or test step needs it.

    python3 scripts/optuna_read_study.py STORAGE_URL STUDY
"""
import sys

import optuna

url, name = sys.argv[1], sys.argv[2]
study = optuna.load_study(study_name=name, storage=url)
print(f"optuna {optuna.__version__}: study {study.study_name!r}, direction "
      f"{study.direction.name}, {len(study.trials)} trials, best trial {study.best_trial.number} "
      f"value {study.best_value:.4f}")
for t in study.trials:
    retry = t.system_attrs.get("failed_trial")
    print(f"  trial {t.number}: {t.state.name}, value {t.value}, "
          f"{len(t.params)} params, {len(t.intermediate_values)} intermediate values"
          + (f", retries trial {retry} (retry_history {t.system_attrs.get('retry_history')})"
             if retry is not None else ""))
