{{/*
Shared names, labels and pod parts of the hookpost chart.
*/}}

{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "hookpost.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-hookpost, or the release name when it already contains the chart name. */}}
{{- define "hookpost.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's resources. Usage: include "hookpost.componentName" (list . "worker") */}}
{{- define "hookpost.componentName" -}}
{{- printf "%s-%s" (include "hookpost.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hookpost.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hookpost.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookpost.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hookpost.labels" -}}
helm.sh/chart: {{ include "hookpost.chart" . }}
{{ include "hookpost.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hookpost
{{- end }}

{{/* Usage: include "hookpost.componentSelectorLabels" (list . "api") */}}
{{- define "hookpost.componentSelectorLabels" -}}
{{ include "hookpost.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Usage: include "hookpost.componentLabels" (list . "api") */}}
{{- define "hookpost.componentLabels" -}}
{{ include "hookpost.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "hookpost.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hookpost.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hookpost.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret with the signing key and the API tokens: the user's, or the one this chart creates. */}}
{{- define "hookpost.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "hookpost.fullname" . }}
{{- end }}
{{- end }}

{{/* Where the key files are mounted; HOOKPOST_SIGNING_KEY_FILE, HOOKPOST_ENCRYPTION_KEY_FILE (and HOOKPOST_API_TOKENS_FILE) point at files inside. */}}
{{- define "hookpost.signingKeyDir" -}}
/etc/hookpost/signing-key
{{- end }}

{{/* HOOKPOST_SIGNING_KEY_FILE: the signing key, then secrets.additionalSigningKeyKeys (published for rotation). */}}
{{- define "hookpost.signingKeyFiles" -}}
{{- $dir := include "hookpost.signingKeyDir" . -}}
{{ $dir }}/signing-key.pem
{{- range .Values.secrets.additionalSigningKeyKeys }},{{ $dir }}/published/{{ . }}{{ end }}
{{- end }}

{{/*
Checks that values cannot express in values.schema.json. Renders nothing; fails the install with a
message naming the value to fix.
*/}}
{{- define "hookpost.validateValues" -}}
{{- if not .Values.secrets.existingSecret }}
{{- if not .Values.secrets.signingKey }}
{{- fail "hookpost: set secrets.existingSecret (recommended) or secrets.signingKey (e.g. --set-file secrets.signingKey=./signing-key.pem)" }}
{{- end }}
{{- if not .Values.secrets.apiTokens }}
{{- fail "hookpost: set secrets.existingSecret (recommended) or secrets.apiTokens (a list of tokens of at least 16 characters)" }}
{{- end }}
{{- if not .Values.secrets.encryptionKey }}
{{- fail "hookpost: set secrets.existingSecret (recommended) or secrets.encryptionKey (e.g. --set secrets.encryptionKey=$(openssl rand -base64 32))" }}
{{- end }}
{{- if .Values.secrets.apiTokensFileKey }}
{{- fail "hookpost: secrets.apiTokensFileKey names a key of secrets.existingSecret; without one, put scoped entries (token=project1|project2) in secrets.apiTokens" }}
{{- end }}
{{- end }}
{{- range .Values.secrets.additionalSigningKeyKeys }}
{{- if eq . $.Values.secrets.signingKeyKey }}
{{- fail (printf "hookpost: secrets.additionalSigningKeyKeys must not repeat secrets.signingKeyKey (%s)" .) }}
{{- end }}
{{- if not $.Values.secrets.existingSecret }}
{{- fail "hookpost: secrets.additionalSigningKeyKeys needs secrets.existingSecret (the chart-made Secret holds one key)" }}
{{- end }}
{{- end }}
{{- if and .Values.redis.existingSecret .Values.redis.auth.existingSecret }}
{{- fail "hookpost: set redis.existingSecret (the whole URL) or redis.auth.existingSecret (only the password), not both" }}
{{- end }}
{{- if and .Values.redis.auth.existingSecret (contains "@" .Values.redis.url) }}
{{- fail "hookpost: redis.url must not carry credentials when redis.auth.existingSecret is set" }}
{{- end }}
{{- if and (regexMatch "^rediss?\\+cluster://" .Values.redis.url) (not (regexMatch "\\{[^}]+\\}" (toString .Values.config.prefix))) }}
{{- fail (printf "hookpost: on Redis Cluster config.prefix (HOOKPOST_PREFIX) needs a hash tag, e.g. \"{%s}\"; got %q" (toString .Values.config.prefix) (toString .Values.config.prefix)) }}
{{- end }}
{{- $shutdown := .Values.config.shutdownTimeout | toString }}
{{- if regexMatch "^[0-9]+s$" $shutdown }}
{{- if ge (atoi (trimSuffix "s" $shutdown)) (int .Values.terminationGracePeriodSeconds) }}
{{- fail (printf "hookpost: terminationGracePeriodSeconds (%v) must exceed config.shutdownTimeout (%s), or in-flight deliveries are killed" .Values.terminationGracePeriodSeconds $shutdown) }}
{{- end }}
{{- end }}
{{- range $component := list "api" "worker" }}
{{- $autoscaling := (index $.Values $component).autoscaling }}
{{- if $autoscaling.enabled }}
{{- if lt (int $autoscaling.maxReplicas) (int $autoscaling.minReplicas) }}
{{- fail (printf "hookpost: %s.autoscaling.maxReplicas must be at least minReplicas" $component) }}
{{- end }}
{{- if not (or $autoscaling.targetCPUUtilizationPercentage $autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail (printf "hookpost: %s.autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" $component) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod annotations: roll the pods when the ConfigMap or the chart-made Secret changes. */}}
{{- define "hookpost.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Environment shared by every container: secrets only; the rest comes from the ConfigMap. */}}
{{- define "hookpost.secretEnv" -}}
- name: HOOKPOST_API_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "hookpost.secretName" . }}
      key: {{ .Values.secrets.apiTokensKey }}
{{- if .Values.redis.existingSecret }}
- name: HOOKPOST_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else if .Values.redis.auth.existingSecret }}
{{- /* Defined before HOOKPOST_REDIS_URL: Kubernetes expands $(VAR) only from earlier entries. */}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.auth.existingSecret }}
      key: {{ .Values.redis.auth.existingSecretPasswordKey }}
- name: HOOKPOST_REDIS_URL
  value: {{ include "hookpost.redisUrlWithPassword" . | quote }}
{{- end }}
{{- end }}

{{/* redis.url with "<username>:$(REDIS_PASSWORD)@" after the scheme (redis.auth.existingSecret). */}}
{{- define "hookpost.redisUrlWithPassword" -}}
{{- replace "://" (printf "://%s:$(REDIS_PASSWORD)@" .Values.redis.auth.username) .Values.redis.url }}
{{- end }}

{{- define "hookpost.volumeMounts" -}}
- name: signing-key
  mountPath: {{ include "hookpost.signingKeyDir" . }}
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "hookpost.volumes" -}}
- name: signing-key
  secret:
    secretName: {{ include "hookpost.secretName" . }}
    # 0440 in decimal (owner and group read; the group is fsGroup 1000), unambiguous for every YAML parser.
    defaultMode: 288
    items:
      - key: {{ .Values.secrets.signingKeyKey }}
        path: signing-key.pem
      {{- range .Values.secrets.additionalSigningKeyKeys }}
      - key: {{ . }}
        path: published/{{ . }}
      {{- end }}
      - key: {{ .Values.secrets.encryptionKeyKey }}
        path: encryption-key
      {{- if .Values.secrets.apiTokensFileKey }}
      - key: {{ .Values.secrets.apiTokensFileKey }}
        path: api-tokens
      {{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{/* Pod-level fields shared by the API and worker Deployments. */}}
{{- define "hookpost.podSpecCommon" -}}
serviceAccountName: {{ include "hookpost.serviceAccountName" . }}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  {{- include "hookpost.volumes" . | nindent 2 }}
{{- end }}

{{/* Scheduling fields of one component. Usage: include "hookpost.scheduling" .Values.api */}}
{{- define "hookpost.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
