#!/usr/bin/env bash
# Deploys one environment: terraform plan, confirmation, apply, then the web app to its bucket.
#   make deploy ENV=dev PROJECT=<gcp project> TF_STATE_BUCKET=<gcs bucket for state>
# AUTO_APPROVE=1 skips the question (CI). Needs terraform, gcloud (authenticated: Application
# Default Credentials) and npm. docs/deploy.md has the first-time steps (Aura secrets).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ENV=${1:-${ENV:-}}
case "$ENV" in
  dev | prod) ;;
  *) echo "usage: $0 dev|prod   (ENV=$ENV)" >&2; exit 2 ;;
esac
: "${PROJECT:?set PROJECT to the Google Cloud project of $ENV}"
: "${TF_STATE_BUCKET:?set TF_STATE_BUCKET to the GCS bucket holding Terraform state}"
DIR=$ROOT/infra/terraform/envs/$ENV
tf() { terraform -chdir="$DIR" "$@"; }

terraform -chdir="$DIR" init -input=false -backend-config="bucket=$TF_STATE_BUCKET"
mkdir -p "$DIR/.build"
tf plan -input=false -var "project_id=$PROJECT" -out=.build/tfplan
if [ "${AUTO_APPROVE:-}" != 1 ]; then
  read -r -p "Apply this plan to project $PROJECT ($ENV)? [y/N] " answer
  [[ "$answer" =~ ^[yY]$ ]] || { echo "Not applied."; exit 1; }
fi
# Neo4j's schema before any new function serves (functions no longer make it on cold start).
sec() { gcloud secrets versions access latest --project="$PROJECT" --secret="kwetter-neo4j-$1"; }
NEO4J_URI=$(sec uri) NEO4J_USER=$(sec user) NEO4J_PASSWORD=$(sec password) python3 -m shared.migrate
tf apply -input=false .build/tfplan

# The web app: built against this environment's gateway and Firebase project, then synced to
# the site bucket. index.html is never cached, the hashed assets are (Vite names them by hash).
API_URL=$(tf output -raw api_url)
BUCKET=$(tf output -raw site_bucket)
FIREBASE=$(tf output -json firebase_web_config)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$FIREBASE" "$1"; }
(
  cd frontend
  [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
  VITE_API_BASE=$API_URL VITE_FIREBASE_PROJECT_ID=$PROJECT \
    VITE_FIREBASE_API_KEY=$(field api_key) VITE_FIREBASE_AUTH_DOMAIN=$(field auth_domain) \
    VITE_AUTH_EMULATOR_URL= npm run build
)
gcloud storage rsync --recursive --delete-unmatched-destination-objects frontend/dist "gs://$BUCKET"
gcloud storage objects update "gs://$BUCKET/index.html" --cache-control="no-cache, max-age=0"
echo
echo "API:  $API_URL"
echo "Site: $(tf output -raw site_url)"
