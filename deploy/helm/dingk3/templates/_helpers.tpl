{{- define "dingk3.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (.Values.nameOverride | default .Chart.Name) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dingk3.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "dingk3.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dingk3.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "dingk3.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "dingk3.fullname" . }}-config
env:
  - name: DINGK3_SECRETS_DIR
    value: {{ .Values.secrets.mountPath | quote }}
  - name: DINGK3_ACTION_URL
    value: {{ printf "http://%s-actions:%v/webhook" (include "dingk3.fullname" .) .Values.actions.port | quote }}
  - name: DINGK3_ACTION_HOST
    value: "0.0.0.0"
  - name: DINGK3_ACTION_PORT
    value: {{ .Values.actions.port | quote }}
  - name: DINGK3_RASA_HOST
    value: "0.0.0.0"
  - name: DINGK3_RASA_PORT
    value: {{ .Values.rasa.port | quote }}
{{- end -}}

{{- define "dingk3.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ .Values.secrets.existingSecret }}
    defaultMode: 0400
{{- end -}}

{{- define "dingk3.secretMount" -}}
- name: secrets
  mountPath: {{ .Values.secrets.mountPath }}
  readOnly: true
- name: var
  mountPath: /var/lib/dingk3
{{- end -}}
