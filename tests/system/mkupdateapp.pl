#!/usr/bin/perl
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mkupdateapp.pl -o OUT [-s SIZE] -- write a small, valid, deterministic
# UPDATE.APP for the system tests (doc/updateapp-format.md): 92 zero bytes,
# then a SHA256RSA entry, a BOOT entry whose data ends in a partial block and
# needs padding, and a SYSTEM entry that fills up to SIZE (bytes, or with a
# K or M suffix; default 5M).  The options are those of tests/mkupdateapp,
# which the system tests use instead when it is built.  The data is pseudo-random (xorshift32, fixed seed) so that a sector
# or cluster written at the wrong place cannot go unnoticed, and the same
# arguments always give the same bytes.
#
# Perl because perl-base is Essential on Debian and CRC-16/X-25 over a few
# MiB is too slow in a POSIX shell or in mawk (no bit operators).
use strict;
use warnings;

my ($out, $size) = (undef, '5M');
while (@ARGV) {
	my $o = shift @ARGV;
	if ($o eq '-o' && @ARGV) { $out = shift @ARGV; }
	elsif ($o eq '-s' && @ARGV) { $size = shift @ARGV; }
	else { $out = undef; last; }
}
die "usage: $0 -o OUT [-s SIZE]\n" unless defined $out;
my %mult = ('' => 1, K => 1024, M => 1024 * 1024);
$size =~ /^(\d+)([KkMm]?)$/ or die "$0: bad size $size\n";
my $total = $1 * $mult{uc $2};
die "$0: SIZE must be at least 1200K\n" if $total < 1200 * 1024;

# CRC-16/X-25: reflected poly 0x8408, init 0xFFFF, xorout 0xFFFF.
my @T;
for my $i (0 .. 255) {
	my $c = $i;
	$c = ($c & 1) ? (($c >> 1) ^ 0x8408) : ($c >> 1) for 1 .. 8;
	$T[$i] = $c;
}
sub crc16 {
	my $c = 0xFFFF;
	$c = ($c >> 8) ^ $T[($c ^ $_) & 0xFF] for unpack('C*', $_[0]);
	return $c ^ 0xFFFF;
}
crc16('123456789') == 0x906E or die "$0: CRC-16/X-25 self-test failed\n";

my $state = 0x2545F491;
sub prandom {
	my $n = shift;
	my @w;
	for (1 .. int(($n + 3) / 4)) {
		$state ^= ($state << 13) & 0xFFFFFFFF;
		$state ^= $state >> 17;
		$state ^= ($state << 5) & 0xFFFFFFFF;
		push @w, $state;
	}
	return substr(pack('V*', @w), 0, $n);
}

sub field { my ($s, $len, $pad) = @_; return substr($s . ($pad x $len), 0, $len); }

my $BS = 4096;
sub entry {
	my ($seq, $type, $data) = @_;
	my $size = length $data;
	my $nblocks = int(($size + $BS - 1) / $BS);
	my $table = '';
	$table .= pack('v', crc16(substr($data, $_ * $BS, $BS))) for 0 .. $nblocks - 1;
	my $hlen = 98 + 2 * $nblocks;
	my $fixed = pack('C4 V V', 0x55, 0xAA, 0x5A, 0xA5, $hlen, 1)
		. field('DLTEST', 8, "\xFF")
		. pack('V V', $seq, $size)
		. field('2024.01.02', 16, "\0")
		. field('03.04.05', 16, "\0")
		. field($type, 16, "\0")
		. ("\0" x 16);
	my $hdr = $fixed . pack('v v v', 0, $BS, 0);
	substr($hdr, 92, 2) = pack('v', crc16($hdr));
	my $e = $hdr . $table . $data;
	$e .= "\0" x ((4 - length($e) % 4) % 4);
	return $e;
}

my $boot = prandom(1024 * 1024 + 123);
my $app = ("\0" x 92) . entry(0xFC000000, 'SHA256RSA', prandom(256))
	. entry(0xFE000000, 'BOOT', $boot);
my $rest = $total - length($app) - 98 - 2 * int($total / $BS) - 4;
$app .= entry(0xFE000001, 'SYSTEM', prandom($rest));

open(my $fh, '>:raw', $out) or die "$0: $out: $!\n";
print $fh $app or die "$0: $out: $!\n";
close($fh) or die "$0: $out: $!\n";
