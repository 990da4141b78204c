#!/usr/bin/env bash
# Deploys the API and the worker to Cloud Run, on Memorystore (Redis), Firestore and GCS.
#
#   PROJECT=my-project REGION=europe-west1 REDIS_URL=redis://10.0.0.3:6379 \
#   GCS_BUCKET=my-nanobanana-images VPC_CONNECTOR=nanobanana-vpc \
#   API_KEYS_SECRET=nanobanana-api-keys GEMINI_KEY_SECRET=gemini-api-key \
#   PUBLIC_URL=https://api.example.com infra/deploy-cloud-run.sh
#
# Before the first deploy (once):
#   gcloud redis instances create nanobanana --size=1 --region="$REGION" --redis-version=redis_7_0 \
#     --redis-config=maxmemory-policy=noeviction          # BullMQ needs keys never evicted
#   gcloud compute networks vpc-access connectors create "$VPC_CONNECTOR" --region="$REGION" --range=10.8.0.0/28
#   gcloud firestore databases create --location="$REGION"
#   gcloud storage buckets create "gs://$GCS_BUCKET" --location="$REGION"
#   gcloud storage buckets update "gs://$GCS_BUCKET" --lifecycle-file=infra/gcs-lifecycle.json
#   (Firestore indexes and TTL policies: infra/firestore.md)
#   printf 'key:user:admin' | gcloud secrets create "$API_KEYS_SECRET" --data-file=-
#   The service account needs: roles/datastore.user, roles/storage.objectAdmin,
#   roles/iam.serviceAccountTokenCreator on itself (to sign image URLs), roles/secretmanager.secretAccessor.
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${REDIS_URL:?set REDIS_URL (Memorystore)}"
: "${GCS_BUCKET:?set GCS_BUCKET}" "${VPC_CONNECTOR:?set VPC_CONNECTOR}" "${API_KEYS_SECRET:?set API_KEYS_SECRET}"
REPO="${REPO:-$REGION-docker.pkg.dev/$PROJECT/nanobanana}"
TAG="${TAG:-$(git rev-parse --short HEAD)}"
cd "$(dirname "$0")/.."

for target in api worker; do
  docker build -f infra/Dockerfile --target "$target" -t "$REPO/$target:$TAG" .
  docker push "$REPO/$target:$TAG"
done

ENV="REDIS_URL=$REDIS_URL,STORE=firestore,FIRESTORE_PROJECT_ID=$PROJECT,BLOB_STORE=gcs,GCS_BUCKET=$GCS_BUCKET,NODE_ENV=production"
[ -n "${PUBLIC_URL:-}" ] && ENV="$ENV,PUBLIC_URL=$PUBLIC_URL"
SECRETS="API_KEYS=$API_KEYS_SECRET:latest"
[ -n "${GEMINI_KEY_SECRET:-}" ] && SECRETS="$SECRETS,GEMINI_API_KEY=$GEMINI_KEY_SECRET:latest"

# The API: scales on requests; SIGTERM gives it 10 s to finish in-flight requests. 1 GiB: its
# RSS under load is about 390 MiB with its 3 × 64 MiB young generation (API_NODE_FLAGS).
gcloud run deploy nanobanana-api --project "$PROJECT" --region "$REGION" \
  --image "$REPO/api:$TAG" --port 8080 --allow-unauthenticated \
  --vpc-connector "$VPC_CONNECTOR" --set-env-vars "$ENV" --set-secrets "$SECRETS" \
  --cpu 1 --memory 1Gi --concurrency 80 --min-instances 1

# The worker: it answers only /health and /metrics on WORKER_HEALTH_PORT (Cloud Run needs a
# listening port), so CPU must stay allocated between requests and at least
# one instance must run; it shuts down within SHUTDOWN_TIMEOUT_MS of SIGTERM, and jobs it
# could not finish go to another worker when their lock lapses.
gcloud run deploy nanobanana-worker --project "$PROJECT" --region "$REGION" \
  --image "$REPO/worker:$TAG" --no-allow-unauthenticated --no-cpu-throttling \
  --port 8080 --vpc-connector "$VPC_CONNECTOR" --set-secrets "$SECRETS" \
  --set-env-vars "$ENV,SHUTDOWN_TIMEOUT_MS=8000,WORKER_HEALTH_PORT=8080" \
  --cpu 2 --memory 1Gi --min-instances 1 --max-instances 10
