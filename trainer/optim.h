/* optim.h - the optimiser's parameter-group table.
 *
 * Every tensor of the model declares a group (tensor_info.group, model.h).
 * One table row per group says how the optimiser treats it:
 *
 *   group     Muon?  decay?  lr multiplier
 *   matrix    yes    yes     1
 *   embed     no     yes     1
 *   norm      no     no      1
 *   gate      no     no      1
 *   conv      no     no      1
 *   hedgehog  no     no      1
 *   alpha     no     no      1
 *   bias      no     no      1
 *   swa       yes    yes     train.swa_lr_mult
 *
 * "Muon? yes" applies with --optimizer muon and to 2-D tensors only; every
 * other tensor takes AdamW at lr_adamw. Decay is decoupled: AdamW tensors
 * p -= lr_adamw*weight_decay*p, Muon tensors p -= lr_muon*muon_weight_decay*p
 * (both times the schedule and the group's multiplier).
 *
 * To add a kind of parameter: a PG_ value in model.h, a row in optim.c's
 * table (the build fails without it), and the name in the PyTorch twin. */
#ifndef BLALM_OPTIM_H
#define BLALM_OPTIM_H

#include "trainer/model.h"

typedef enum { LR_MULT_NONE = 0, LR_MULT_SWA } lr_mult_kind;

typedef struct param_group_rule {
    const char *name;     /* as in the table above, for logs */
    int muon;             /* 1: Muon takes its 2-D tensors when the run uses Muon */
    int decay;            /* 1: decoupled weight decay */
    lr_mult_kind lr_mult; /* extra learning-rate multiplier from train_config */
} param_group_rule;

/* The row of group g (g < PG_COUNT). */
const param_group_rule *param_group_rule_of(param_group g);

/* The multiplier lr_mult names, read from tc. */
double param_group_lr_mult(const param_group_rule *r, const train_config *tc);

/* How the optimiser treats tensor i of the model it was created for. */
typedef struct optim_plan {
    param_group group;
    int muon;         /* 1: Muon update, 0: AdamW */
    double decay;     /* weight decay coefficient applied (0 = none) */
    double lr;        /* peak learning rate (before the schedule) */
} optim_plan;
optim_plan optim_tensor_plan(const optimizer *o, const model *m, int i);

/* Tests: treat tensor i of m as a member of group g from now on
 * (0, or -1 when out of memory for Muon's scratch). */
int optim_regroup(optimizer *o, model *m, int i, param_group g);

#endif
