module hookpost/helm-render

go 1.19
