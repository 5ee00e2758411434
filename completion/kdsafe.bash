# bash completion for kdsafe(8)
_kdsafe()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--sysroot|--dump) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	--sysroot|--quirks-dir|--tar) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--dump|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-m|--method)
		COMPREPLY=($(compgen -W "auto kernel kernel:flr kernel:pm kernel:bus flr af-flr pm bus virtio quiesce" -- "$cur"))
		return ;;
	esac
	case $cmd in
	'')
		COMPREPLY=($(compgen -W "probe reset quirks whitelist hook snapshot test --sysroot --dump --verbose --quiet --help --version" -- "$cur")) ;;
	probe)
		COMPREPLY=($(compgen -W "--verbose --json --fail-dirty --no-modules --help" -- "$cur")) ;;
	reset)
		COMPREPLY=($(compgen -W "--method --dry-run --force --timeout --jobs --timeout-total --wait-lock --all --json --verbose --kmsg --quirks-dir --no-quirks --allow-real-sysfs --help" -- "$cur")) ;;
	quirks)
		COMPREPLY=($(compgen -W "check list match --help" -- "$cur")) ;;
	hook)
		COMPREPLY=($(compgen -W "--config --strict --print-config --help" -- "$cur")) ;;
	snapshot)
		COMPREPLY=($(compgen -W "--tar --help" -- "$cur"))
		[[ $cur != -* ]] && COMPREPLY+=($(compgen -d -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	esac
}
complete -F _kdsafe kdsafe
