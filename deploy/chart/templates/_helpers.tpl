{{/* The objects' name: the release name, unless it already says k0rdent-mcp. */}}
{{- define "k0rdent-mcp.fullname" -}}
{{- if contains "k0rdent-mcp" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-k0rdent-mcp" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "k0rdent-mcp.selectorLabels" -}}
app.kubernetes.io/name: k0rdent-mcp
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "k0rdent-mcp.labels" -}}
{{ include "k0rdent-mcp.selectorLabels" . }}
app.kubernetes.io/part-of: k0rdent
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
