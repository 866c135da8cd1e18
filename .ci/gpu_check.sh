# Device check (run through the device tool): the paper profile on a real GPU, with plain progress lines.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD:/tmp/site
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
( time timeout ${1:-400} python3 -m verify run --profile paper --device cuda --out $OUT/paper --no-figures ) 2>&1 | tee $OUT/paper.log | tail -80
