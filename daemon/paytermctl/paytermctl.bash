# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for paytermctl (installed as
# $(pkg-config --variable=completionsdir bash-completion)/paytermctl).
# Commands, their options, option values, and reader devices from
# /dev/paytermN.  Plain bash: no helper of the bash-completion package is
# needed, so it also works when sourced by hand (tests/e2e/t-completion).

# the directory of the reader nodes (a variable for tests)
_paytermctl_devdir=${_paytermctl_devdir:-/dev}

_paytermctl_devices()
{
	local d
	for d in "$_paytermctl_devdir"/payterm[0-9]*; do
		[ -e "$d" ] && printf '%s\n' "$d"
	done
}

# complete the last element of a comma-separated list of WORDS
_paytermctl_list()
{
	local cur=$1 words=$2 head=
	case $cur in *,*) head=${cur%,*},; cur=${cur##*,} ;; esac
	COMPREPLY=($(compgen -P "$head" -W "$words" -- "$cur"))
}

_paytermctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= i opts
	local cmds="list monitor virt apdu readers pay status cancel requests help"
	COMPREPLY=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	# --opt=VALUE: readline splits at '='
	if [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	elif [ "$cur" = "=" ]; then
		cur=
	fi
	if [ "$COMP_CWORD" -le 1 ]; then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return 0
	fi
	cmd=${COMP_WORDS[1]}

	# values of options
	case $cmd:$prev in
	virt:--caps) _paytermctl_list "$cur" "msr icc picc pinpad"; return 0 ;;
	pay:--modes) _paytermctl_list "$cur" "swipe chip tap"; return 0 ;;
	virt:--apdu-map) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
	virt:--name | virt:--slots | virt:--vendor | virt:--product | \
	virt:--apdu-default | monitor:--count | monitor:--timeout | apdu:--slot)
		return 0 ;;			# a value of the user's own
	esac

	case $cmd in
	list | readers | requests) opts="--json --help" ;;
	monitor) opts="--claim --count --timeout --help" ;;
	virt) opts="--name --caps --slots --vendor --product --apdu-map --apdu-default --help" ;;
	apdu) opts="--slot --help" ;;
	pay) opts="--json --modes --help" ;;
	status) opts="--json --help" ;;
	cancel) opts="--help" ;;
	*) return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	case $cmd in
	monitor | apdu)
		# the device is the first word that is not an option or its value
		for ((i = 2; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			--slot | --count | --timeout) i=$((i + 1)) ;;
			-*) ;;
			*) return 0 ;;		# device given: APDUs are the user's
			esac
		done
		COMPREPLY=($(compgen -W "$(_paytermctl_devices)" -- "$cur"))
		;;
	pay)
		# REQUEST|@FILE|-: complete file names after '@' (a word of
		# its own when COMP_WORDBREAKS holds '@', as by default)
		if [ "$prev" = "@" ] || [ "$cur" = "@" ]; then
			[ "$cur" = "@" ] && cur=
			COMPREPLY=($(compgen -f -- "$cur"))
		elif [[ $cur == @* ]]; then
			COMPREPLY=($(compgen -P @ -f -- "${cur#@}"))
		fi
		;;
	esac
	return 0
}
complete -F _paytermctl paytermctl
