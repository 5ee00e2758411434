/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one vocabulary of PCI/PCIe config-space registers, used by every
 * layer (access, probe, quirks, reset, cli, tests).  Sections: PCI Local Bus Spec 3.0
 * (PCI LB), PCI Bus Power Management Interface Spec 1.2 (PCI PM), PCI
 * Express Base Spec 5.0 (PCIe), Advanced Features ECN (AF).  Names follow
 * the kernel's include/uapi/linux/pci_regs.h so readers can cross-check.
 */
#ifndef KDSAFE_REGS_H
#define KDSAFE_REGS_H

/* Type 0/1 header, PCI LB §6.1, PCIe §7.5.1 */
#define PCI_STD_HEADER_SIZEOF 64            /* capabilities start here */
#define PCI_VENDOR_ID 0x00
#define  PCI_VENDOR_ID_RRS 0x0001         /* RRS SV special value, PCIe §2.3.2 */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define  PCI_COMMAND_IO 0x0001
#define  PCI_COMMAND_MEMORY 0x0002
#define  PCI_COMMAND_MASTER 0x0004          /* Bus Master Enable */
#define  PCI_COMMAND_PARITY 0x0040
#define  PCI_COMMAND_SERR 0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400    /* PCI LB 3.0 §6.2.2 */
#define PCI_STATUS 0x06
#define  PCI_STATUS_IMM_READY 0x0001        /* PCIe §7.5.1.1.4 */
#define  PCI_STATUS_INTERRUPT 0x0008        /* INTx pending */
#define  PCI_STATUS_CAP_LIST 0x0010
#define  PCI_STATUS_PARITY 0x0100           /* Master Data Parity Error */
#define  PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define  PCI_STATUS_REC_TARGET_ABORT 0x1000
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define  PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define  PCI_STATUS_DETECTED_PARITY 0x8000
#define  PCI_STATUS_ERROR_BITS 0xf900
#define PCI_REVISION_ID 0x08
#define  PCI_BASE_CLASS_BRIDGE 0x06         /* PCI Code and ID §1.7 */
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define  PCI_HEADER_TYPE_MASK 0x7f
#define  PCI_HEADER_TYPE_NORMAL 0
#define  PCI_HEADER_TYPE_BRIDGE 1
#define  PCI_HEADER_TYPE_MFD 0x80
#define PCI_BIST 0x0f
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_1 0x14
#define PCI_BASE_ADDRESS_2 0x18
#define PCI_BASE_ADDRESS_3 0x1c
#define PCI_BASE_ADDRESS_4 0x20
#define PCI_BASE_ADDRESS_5 0x24
/* Base Address Register bits, PCI LB 3.0 §6.2.5.1 */
#define  PCI_BASE_ADDRESS_SPACE_IO 0x1u
#define  PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x6u
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x4u
#define  PCI_BASE_ADDRESS_MEM_MASK (~0xfu)
#define PCI_CARDBUS_CIS 0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_MIN_GNT 0x3e
#define PCI_MAX_LAT 0x3f
/* Type 1 (bridge) header, PCI-to-PCI Bridge Spec 1.2 §3.2 */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_SEC_LATENCY_TIMER 0x1b
#define PCI_IO_BASE 0x1c
#define PCI_IO_LIMIT 0x1d
#define PCI_SEC_STATUS 0x1e
#define PCI_MEMORY_BASE 0x20
#define PCI_MEMORY_LIMIT 0x22
#define PCI_PREF_MEMORY_BASE 0x24
#define PCI_PREF_MEMORY_LIMIT 0x26
#define PCI_PREF_BASE_UPPER32 0x28
#define PCI_PREF_LIMIT_UPPER32 0x2c
#define PCI_IO_BASE_UPPER16 0x30
#define PCI_IO_LIMIT_UPPER16 0x32
#define PCI_ROM_ADDRESS1 0x38
#define PCI_BRIDGE_CONTROL 0x3e
#define  PCI_BRIDGE_CTL_BUS_RESET 0x0040    /* Secondary Bus Reset */

/* Capability IDs, PCI Code and ID Assignment Spec §2 */
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_AGP 0x02
#define PCI_CAP_ID_VPD 0x03
#define PCI_CAP_ID_SLOTID 0x04
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_CHSWP 0x06  /* CompactPCI hot swap */
#define PCI_CAP_ID_PCIX 0x07
#define PCI_CAP_ID_HT 0x08     /* HyperTransport */
#define PCI_CAP_ID_VNDR 0x09   /* vendor specific */
#define PCI_CAP_ID_DBG 0x0a    /* debug port */
#define PCI_CAP_ID_CCRC 0x0b   /* CompactPCI central resource control */
#define PCI_CAP_ID_SHPC 0x0c   /* standard hot-plug controller */
#define PCI_CAP_ID_SSVID 0x0d   /* bridge subsystem IDs, PCI-to-PCI Bridge 1.2 §3.2.5.13 */
#define  PCI_SSVID_VENDOR_ID 4
#define  PCI_SSVID_DEVICE_ID 6
#define PCI_CAP_ID_AGP3 0x0e
#define PCI_CAP_ID_SECDEV 0x0f /* secure device */
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_SATA 0x12
#define PCI_CAP_ID_AF 0x13
#define PCI_CAP_ID_EA 0x14     /* enhanced allocation */

/* Power Management, PCI PM 1.2 §3.2 */
#define PCI_PM_PMC 2
#define PCI_PM_CTRL 4
#define  PCI_PM_CTRL_STATE_MASK 0x0003
#define  PCI_PM_CTRL_NO_SOFT_RESET 0x0008   /* PCIe §7.5.2.2 */
#define PCI_D0 0
#define PCI_D3hot 3

/* MSI, PCI LB 3.0 §6.8.1 */
#define PCI_MSI_FLAGS 2
#define  PCI_MSI_FLAGS_ENABLE 0x0001
#define  PCI_MSI_FLAGS_QMASK 0x000e
#define  PCI_MSI_FLAGS_QSIZE 0x0070
#define  PCI_MSI_FLAGS_64BIT 0x0080
#define  PCI_MSI_FLAGS_MASKBIT 0x0100

/* MSI-X, PCI LB 3.0 §6.8.2 */
#define PCI_MSIX_FLAGS 2
#define  PCI_MSIX_FLAGS_QSIZE 0x07ff
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE 0x8000

/* PCI Express capability, PCIe §7.5.3 */
#define PCI_EXP_FLAGS 2
#define  PCI_EXP_FLAGS_VERS 0x000f          /* Capability Version, §7.5.3.2 */
#define  PCI_EXP_FLAGS_TYPE 0x00f0
#define  PCI_EXP_FLAGS_SLOT 0x0100
#define   PCI_EXP_TYPE_ENDPOINT 0x0
#define   PCI_EXP_TYPE_LEG_END 0x1
#define   PCI_EXP_TYPE_ROOT_PORT 0x4
#define   PCI_EXP_TYPE_UPSTREAM 0x5
#define   PCI_EXP_TYPE_DOWNSTREAM 0x6
#define   PCI_EXP_TYPE_PCI_BRIDGE 0x7
#define   PCI_EXP_TYPE_PCIE_BRIDGE 0x8
#define   PCI_EXP_TYPE_RC_END 0x9
#define   PCI_EXP_TYPE_RC_EC 0xa
#define PCI_EXP_DEVCAP 4
#define  PCI_EXP_DEVCAP_FLR 0x10000000      /* §7.5.3.3 bit 28 */
#define PCI_EXP_DEVCTL 8
#define  PCI_EXP_DEVCTL_BCR_FLR 0x8000      /* Initiate FLR, §7.5.3.4 */
#define PCI_EXP_DEVSTA 10
#define  PCI_EXP_DEVSTA_CED 0x0001
#define  PCI_EXP_DEVSTA_NFED 0x0002
#define  PCI_EXP_DEVSTA_FED 0x0004
#define  PCI_EXP_DEVSTA_URD 0x0008
#define  PCI_EXP_DEVSTA_TRPND 0x0020        /* Transactions Pending */
#define PCI_EXP_LNKCAP 12
#define  PCI_EXP_LNKCAP_SLS 0x0000000f      /* Max Link Speed, §7.5.3.6 */
#define  PCI_EXP_LNKCAP_DLLLARC 0x00100000  /* DLL Link Active Reporting */
#define PCI_EXP_LNKCTL 16                   /* §7.5.3.7 */
#define  PCI_EXP_LNKCTL_ASPM_L1 0x0002      /* ASPM L1 Entry Enabled */
#define PCI_EXP_LNKSTA 18
#define  PCI_EXP_LNKSTA_CLS 0x000f
#define  PCI_EXP_LNKSTA_NLW 0x03f0
#define  PCI_EXP_LNKSTA_LT 0x0800
#define  PCI_EXP_LNKSTA_DLLLA 0x2000
#define PCI_EXP_SLTCAP 20                   /* §7.5.3.9 */
#define  PCI_EXP_SLTCAP_ABP 0x0001          /* Attention Button Present */
#define  PCI_EXP_SLTCAP_HPC 0x0040          /* Hot-Plug Capable */
#define PCI_EXP_SLTCTL 24                   /* §7.5.3.10 */
#define  PCI_EXP_SLTCTL_PDCE 0x0008         /* Presence Detect Changed Enable */
#define  PCI_EXP_SLTCTL_HPIE 0x0020         /* Hot-Plug Interrupt Enable */
#define  PCI_EXP_SLTCTL_DLLSCE 0x1000       /* DLL State Changed Enable */
#define PCI_EXP_SLTSTA 26                   /* §7.5.3.11, RW1C events */
#define  PCI_EXP_SLTSTA_PDC 0x0008          /* Presence Detect Changed */
#define  PCI_EXP_SLTSTA_DLLSC 0x0100        /* DLL State Changed */
#define PCI_EXP_RTCTL 28                    /* Root Control, §7.5.3.12 */
#define  PCI_EXP_RTCTL_CRSSVE 0x0010        /* RRS Software Visibility Enable */
#define PCI_EXP_DEVCTL2 40                  /* §7.5.3.16 */
#define  PCI_EXP_DEVCTL2_LTR_EN 0x0400      /* LTR Mechanism Enable */
#define PCI_EXP_LNKCAP2 44                  /* §7.5.3.18 */
#define  PCI_EXP_LNKCAP2_SLS 0x000000fe     /* Supported Link Speeds Vector */
#define PCI_EXP_LNKCTL2 48                  /* §7.5.3.19 */
#define PCI_EXP_SLTCTL2 56                  /* Slot Control 2, §7.5.3.22 */

/* Advanced Features, AF ECN §2 */
#define PCI_AF_CAP 3
#define  PCI_AF_CAP_TP 0x01
#define  PCI_AF_CAP_FLR 0x02
#define PCI_AF_CTRL 4
#define  PCI_AF_CTRL_FLR 0x01
#define PCI_AF_STATUS 5
#define  PCI_AF_STATUS_TP 0x01

/* Extended capabilities, PCIe §7.6 */
#define PCI_CFG_SPACE_SIZE 256
#define PCI_STD_HEADER_SIZEOF 64 /* the type 0/1 header, PCI 3.0 §6.1 */
#define PCI_EXT_CAP_ID_ERR 0x0001           /* AER, §7.8.4 */
#define PCI_EXT_CAP_ID_VC 0x0002
#define PCI_EXT_CAP_ID_DSN 0x0003
#define PCI_EXT_CAP_ID_PWR 0x0004           /* power budgeting */
#define PCI_EXT_CAP_ID_RCLD 0x0005          /* root complex link declaration */
#define PCI_EXT_CAP_ID_RCILC 0x0006         /* RC internal link control */
#define PCI_EXT_CAP_ID_RCEC 0x0007          /* RC event collector endpoint association */
#define PCI_EXT_CAP_ID_MFVC 0x0008
#define PCI_EXT_CAP_ID_VC9 0x0009           /* VC, the MFVC-present variant */
#define PCI_EXT_CAP_ID_RCRB 0x000a
#define PCI_EXT_CAP_ID_VNDR 0x000b
#define PCI_EXT_CAP_ID_ACS 0x000d
#define PCI_EXT_CAP_ID_ARI 0x000e
#define PCI_EXT_CAP_ID_ATS 0x000f
#define PCI_EXT_CAP_ID_SRIOV 0x0010
#define PCI_EXT_CAP_ID_MRIOV 0x0011
#define PCI_EXT_CAP_ID_MCAST 0x0012
#define PCI_EXT_CAP_ID_PRI 0x0013
#define PCI_EXT_CAP_ID_REBAR 0x0015
#define PCI_EXT_CAP_ID_DPA 0x0016
#define PCI_EXT_CAP_ID_TPH 0x0017
#define PCI_EXT_CAP_ID_LTR 0x0018
#define PCI_EXT_CAP_ID_SECPCI 0x0019
#define PCI_EXT_CAP_ID_PMUX 0x001a
#define PCI_EXT_CAP_ID_PASID 0x001b
#define PCI_EXT_CAP_ID_LNR 0x001c           /* LN Requester (pciutils' name; the kernel has none) */
#define PCI_EXT_CAP_ID_DPC 0x001d
#define PCI_EXT_CAP_ID_L1SS 0x001e
#define PCI_EXT_CAP_ID_PTM 0x001f
#define PCI_EXT_CAP_ID_DVSEC 0x0023
#define PCI_EXT_CAP_ID_DLF 0x0025
#define PCI_EXT_CAP_ID_PL_16GT 0x0026
#define  PCI_EXT_CAP_VER(h) (((h) >> 16) & 0xf) /* §7.6.3 */
/* SR-IOV capability, SR-IOV 1.1 §3.3 (pci_restore_iov_state) */
#define PCI_SRIOV_CTRL 0x08                  /* SR-IOV Control, §3.3.3 */
#define  PCI_SRIOV_CTRL_VFE 0x0001           /* VF Enable */
#define  PCI_SRIOV_CTRL_ARI 0x0010           /* ARI Capable Hierarchy */
#define PCI_SRIOV_NUM_VF 0x10                /* NumVFs */
#define PCI_SRIOV_VF_OFFSET 0x14             /* First VF Offset */
#define PCI_SRIOV_VF_STRIDE 0x16             /* VF Stride */
#define PCI_SRIOV_VF_DID 0x1a                /* VF Device ID */
#define PCI_SRIOV_SYS_PGSIZE 0x20            /* System Page Size, §3.3.13 */
#define PCI_SRIOV_BAR 0x24                   /* VF BAR0..5, §3.3.14 */
#define PCI_SRIOV_NUM_BARS 6
/* AER, PCIe §7.8.4 (pci_save_aer_state(), pci_restore_aer_state()) */
#define PCI_ERR_UNCOR_STATUS 4              /* §7.8.4.2 */
#define PCI_ERR_UNCOR_MASK 8                /* §7.8.4.3 */
#define PCI_ERR_UNCOR_SEVER 12              /* §7.8.4.4 */
#define PCI_ERR_COR_STATUS 16               /* §7.8.4.5 */
#define PCI_ERR_COR_MASK 20                 /* §7.8.4.6 */
#define PCI_ERR_CAP 24                      /* Capabilities and Control, §7.8.4.7 */
#define PCI_ERR_ROOT_COMMAND 44             /* Root Error Command, §7.8.4.9 */
/* ACS, PCIe §7.7.8 (pci_enable_acs()) */
#define PCI_ACS_CTRL 6
/* ATS, PCIe §10.5.1 (pci_restore_ats_state()) */
#define PCI_ATS_CTRL 6
/* PRI, PCIe §10.5.2 (pci_restore_pri_state()) */
#define PCI_PRI_CTRL 4
#define PCI_PRI_ALLOC_REQ 0x0c              /* Outstanding Page Request Allocation */
/* PASID, PCIe §7.8.8 (pci_restore_pasid_state()) */
#define PCI_PASID_CTRL 6
/* Resizable BAR, PCIe §7.8.6 (pci_restore_rebar_state()) */
#define PCI_REBAR_CTRL 8                    /* the first BAR's control */
#define  PCI_REBAR_CTRL_BAR_IDX 0x00000007
#define  PCI_REBAR_CTRL_NBAR_MASK 0x000000e0
#define  PCI_REBAR_CTRL_NBAR_SHIFT 5
#define  PCI_REBAR_CTRL_BAR_SIZE 0x00003f00
#define PCI_REBAR_ENTRY 8                   /* bytes per BAR entry */
/* LTR, PCIe §7.8.2 (pci_restore_ltr_state(): before DevCtl2.LTR_EN) */
#define PCI_LTR_MAX_SNOOP_LAT 4
#define PCI_LTR_MAX_NOSNOOP_LAT 6
/* L1 PM Substates, PCIe §7.8.3 (pci_restore_aspm_l1ss_state()) */
#define PCI_L1SS_CTL1 8
#define  PCI_L1SS_CTL1_L1SS_MASK 0x0000000f /* the four enable bits */
#define PCI_L1SS_CTL2 0x0c

#endif
